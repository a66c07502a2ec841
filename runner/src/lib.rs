//! The Proxy-Wasm conformance runner: every case of the probe catalog
//! (`conformance_guests::catalog`) is one libtest-mimic trial, run on the embedded reference host
//! or, with `--host`, on any host through an adapter command (`adapter`, `runner/ADAPTERS.md`);
//! the standard libtest flags work (`--list`, filters, `--exact`, `--skip`, `--format`,
//! `--test-threads`). A failure shows the check ids with expected and got values, whether the
//! probe reached its end, and the probe's log.

pub mod adapter;
pub mod args;
pub mod coverage;
pub mod embedded;
pub mod expectations;
pub mod judge;
pub mod report;
pub mod suite;
