//! JSON Schemas of the documents in this crate, generated from their types: what
//! `cargo xtask codegen` writes to `generated/schemas/` and checks for drift.

use crate::expectations;
use crate::protocol::{Event, Info, Job, JobResult};
use crate::report::Report;
use crate::scenario::Scenario;
use schemars::{JsonSchema, generate::SchemaSettings};

/// Every schema as (file name, pretty JSON text ending in a newline).
pub fn schemas() -> Vec<(&'static str, String)> {
    vec![
        (
            "info.schema.json",
            schema::<Info>("Adapter info (protocol v1)"),
        ),
        (
            "event.schema.json",
            schema::<Event>("Run event line (protocol v1)"),
        ),
        (
            "serve-job.schema.json",
            schema::<Job>("Serve job (protocol v1)"),
        ),
        (
            "serve-result.schema.json",
            schema::<JobResult>("Serve result (protocol v1)"),
        ),
        ("scenario.schema.json", schema::<Scenario>("Scenario")),
        ("report.schema.json", schema::<Report>("Conformance report")),
        (
            "expectations.schema.json",
            schema::<expectations::File>("Expectations file (format 1)"),
        ),
    ]
}

fn schema<T: JsonSchema>(title: &str) -> String {
    let mut schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_schema_is_a_draft_2020_12_object_with_a_title() -> Result<(), serde_json::Error> {
        for (name, text) in super::schemas() {
            let v: serde_json::Value = serde_json::from_str(&text)?;
            assert_eq!(
                v["$schema"], "https://json-schema.org/draft/2020-12/schema",
                "{name}"
            );
            assert!(v["title"].is_string(), "{name}");
        }
        Ok(())
    }
}
