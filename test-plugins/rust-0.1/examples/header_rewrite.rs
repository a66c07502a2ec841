//! Adds, replaces and removes request headers as the plugin configuration says: one rule a line,
//! `add|replace|remove NAME [VALUE]`. Stamps the response with `x-sdk: 0.1`.

use log::{info, warn};
use proxy_wasm::traits::*;
use proxy_wasm::types::*;
use std::rc::Rc;

// SDK 0.1 has no `main!`: the plugin exports `_start` itself.
#[no_mangle]
pub fn _start() {
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(Root {
            rules: Rc::new(Vec::new()),
        })
    });
}

struct Rule {
    op: String,
    name: String,
    value: String,
}

fn parse(line: &str) -> Option<Rule> {
    let mut words = line.split_whitespace();
    let op = words.next()?.to_string();
    let name = words.next()?.to_string();
    let value = words.collect::<Vec<_>>().join(" ");
    matches!(op.as_str(), "add" | "replace" | "remove").then_some(Rule { op, name, value })
}

struct Root {
    rules: Rc<Vec<Rule>>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _: usize) -> bool {
        let config = self.get_configuration().unwrap_or_default();
        let mut rules = Vec::new();
        for line in String::from_utf8_lossy(&config).lines() {
            if line.trim().is_empty() {
                continue;
            }
            match parse(line) {
                Some(rule) => rules.push(rule),
                None => {
                    warn!("bad rule: {line}");
                    return false;
                }
            }
        }
        info!("{} rules", rules.len());
        self.rules = Rc::new(rules);
        true
    }

    fn create_http_context(&self, _: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Rewrite {
            rules: self.rules.clone(),
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Rewrite {
    rules: Rc<Vec<Rule>>,
}

impl Context for Rewrite {}

impl HttpContext for Rewrite {
    // ABI 0.1.0: header callbacks have no end_of_stream flag.
    fn on_http_request_headers(&mut self, _: usize) -> Action {
        for rule in self.rules.iter() {
            let (name, value) = (rule.name.as_str(), rule.value.as_str());
            match rule.op.as_str() {
                "add" => self.add_http_request_header(name, value),
                "replace" => self.set_http_request_header(name, Some(value)),
                _ => self.set_http_request_header(name, None),
            }
            info!("request: {} {name}", rule.op);
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _: usize) -> Action {
        self.set_http_response_header("x-sdk", Some("0.1"));
        Action::Continue
    }
}
