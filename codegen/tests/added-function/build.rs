//! Generates the host crate from the spec documents with `ADDED_HOST` and `ADDED_CALLBACK` added
//! at the end of their modules, into `OUT_DIR`, as modules `src/lib.rs` includes.
#![allow(clippy::panic)] // a build script fails loudly

use proxy_wasm_codegen::{Inputs, host};
use proxy_wasm_spec::loader::Files;
use std::path::{Path, PathBuf};

/// Host functions added to `spec/abi/proxy-wasm/host.witx`: one in every version (with an enum
/// argument and an enum result, so older versions convert both), one only in 0.1.0 and one only
/// from 0.2.1 on.
const ADDED_HOST: &str = r#"
  ;;; Added: the log level a buffer would be logged at.
  (@interface func (export "proxy_added_everywhere")
    ;;; The buffer.
    (param $buffer_id $buffer_type (@invalid $bad_argument))
    ;;; Receives the level.
    (param $return_level (@witx pointer $log_level) (@out))
    ;;; Outcome of the call.
    (result $status $status)
    (@reference "codegen/tests/added_function.rs")
    (@status $ok "the level was written" (@reference "codegen/tests/added_function.rs"))
    (@status $not_found "no level for this buffer" (@reference "codegen/tests/added_function.rs"))
    (@status $bad_argument "not a buffer" (@reference "codegen/tests/added_function.rs"))
    (@status $invalid_memory_access "`return_level` lies outside guest memory"
      (@reference "codegen/tests/added_function.rs"))
    (@context any))

  ;;; Added: a function of 0.1.0 alone.
  (@interface func (export "proxy_added_until_0_2_0")
    ;;; Outcome of the call.
    (result $status $status)
    (@until "0.2.0")
    (@reference "codegen/tests/added_function.rs")
    (@status $ok "done" (@reference "codegen/tests/added_function.rs"))
    (@context any))

  ;;; Added: a function of 0.2.1 on.
  (@interface func (export "proxy_added_since_0_2_1")
    ;;; Outcome of the call.
    (result $status $status)
    (@since "0.2.1")
    (@reference "codegen/tests/added_function.rs")
    (@status $ok "done" (@reference "codegen/tests/added_function.rs"))
    (@context any))
"#;

/// A callback added to `spec/abi/proxy-wasm/callbacks.witx`, in every version.
const ADDED_CALLBACK: &str = r#"
  ;;; Added: the plugin answers a log level with an action.
  (@interface func (export "proxy_on_added")
    ;;; The plugin context.
    (param $plugin_context_id $context_id)
    ;;; A level.
    (param $level $log_level)
    ;;; What to do.
    (result $action $action)
    (@reference "codegen/tests/added_function.rs")
    (@context root))
"#;

/// The documents from the workspace, with the additions.
struct Added {
    root: PathBuf,
}

impl Files for Added {
    fn read(&self, path: &str) -> Result<String, String> {
        let text = std::fs::read_to_string(self.root.join(path)).map_err(|e| e.to_string())?;
        let added = match path {
            "spec/abi/proxy-wasm/host.witx" => ADDED_HOST,
            "spec/abi/proxy-wasm/callbacks.witx" => ADDED_CALLBACK,
            _ => return Ok(text),
        };
        // Inside the module: before the parenthesis that closes it, the document's last.
        let text = text.trim_end();
        let Some(body) = text.strip_suffix(')') else {
            return Err(format!("{path} does not end with a module"));
        };
        Ok(format!("{body}{added})\n"))
    }
}

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|e| panic!("{e}"));
    let root = Path::new(&manifest).join("../../..");
    println!("cargo:rerun-if-changed={}", root.join("spec/abi").display());
    let files = Added { root };
    let load = |name: &str| {
        let entry = proxy_wasm_spec::builtin::entry(name).unwrap_or_else(|| panic!("no {name}"));
        proxy_wasm_spec::load(&entry, &files).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let inputs = Inputs {
        versions: ["0.1.0", "0.2.0", "0.2.1"].into_iter().map(load).collect(),
        envoy_2020: load("envoy-2020"),
        results: Vec::new(),
    };
    let files = host::render(&inputs).unwrap_or_else(|e| panic!("{e}"));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("{e}")));
    for (path, text) in files {
        let Some(name) = path.strip_prefix("host/src/") else {
            continue;
        };
        // `include!` takes items only: inner docs and attributes go, modules are included in place.
        let mut items = String::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with("//!") && !l.starts_with("#!"))
        {
            let module = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("mod "))
                .and_then(|rest| rest.strip_suffix(';'));
            match module {
                Some(m) if name == "lib.rs" => items.push_str(&format!(
                    "/// The generated `{m}`.\n{} {m} {{ include!(concat!(env!(\"OUT_DIR\"), \"/{m}.rs\")); }}\n",
                    line.trim_end_matches(&format!("{m};")).trim_end()
                )),
                _ => {
                    items.push_str(line);
                    items.push('\n');
                }
            }
        }
        std::fs::write(out.join(name), items).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
