//! `reference-host run PLUGIN.wasm SCENARIO.json`: runs a plugin and prints the transcript.

use std::process::ExitCode;

const USAGE: &str = "usage: reference-host run PLUGIN.wasm SCENARIO.json";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [command, plugin, scenario] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if command != "run" {
        eprintln!("error: unknown command `{command}`\n{USAGE}");
        return ExitCode::from(2);
    }
    let wasm = match std::fs::read(plugin) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read {plugin}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = match std::fs::read_to_string(scenario) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read {scenario}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let scenario: reference_host::Scenario = match serde_json::from_str(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {scenario}:{}:{}: {e}", e.line(), e.column());
            return ExitCode::FAILURE;
        }
    };
    match reference_host::run(&wasm, &scenario) {
        Ok(transcript) => match serde_json::to_string_pretty(&transcript) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot print the transcript: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("error: {plugin}: {e}");
            ExitCode::FAILURE
        }
    }
}
