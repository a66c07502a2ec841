//! The Proxy-Wasm conformance runner: every case of the probe catalog
//! (`conformance_guests::catalog`) is one libtest-mimic trial, run on the embedded reference host;
//! the standard libtest flags work (`--list`, filters, `--exact`, `--skip`, `--format`,
//! `--test-threads`). A failure shows the check ids with expected and got values, whether the
//! probe reached its end, and the probe's log.

pub mod args;
pub mod coverage;
pub mod embedded;
pub mod judge;
