//! Adds, replaces and removes request and response headers as the plugin configuration says:
//! one rule a line, `request|response add|replace|remove NAME [VALUE]`.

use log::{info, warn};
use proxy_wasm::traits::*;
use proxy_wasm::types::*;
use std::rc::Rc;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(Root { rules: Rc::new(Vec::new()) })
    });
}}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Request,
    Response,
}

struct Rule {
    side: Side,
    op: String,
    name: String,
    value: String,
}

fn parse(line: &str) -> Option<Rule> {
    let mut words = line.split_whitespace();
    let side = match words.next()? {
        "request" => Side::Request,
        "response" => Side::Response,
        _ => return None,
    };
    let op = words.next()?.to_string();
    let name = words.next()?.to_string();
    let value = words.collect::<Vec<_>>().join(" ");
    matches!(op.as_str(), "add" | "replace" | "remove").then_some(Rule {
        side,
        op,
        name,
        value,
    })
}

struct Root {
    // Shared with every stream; replaced as a whole on reconfiguration.
    rules: Rc<Vec<Rule>>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _: usize) -> bool {
        let config = self.get_plugin_configuration().unwrap_or_default();
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

impl Rewrite {
    fn apply(&self, side: Side) {
        for rule in self.rules.iter().filter(|r| r.side == side) {
            let (name, value) = (rule.name.as_str(), rule.value.as_str());
            match (side, rule.op.as_str()) {
                (Side::Request, "add") => self.add_http_request_header(name, value),
                (Side::Request, "replace") => self.set_http_request_header(name, Some(value)),
                (Side::Request, _) => self.remove_http_request_header(name),
                (Side::Response, "add") => self.add_http_response_header(name, value),
                (Side::Response, "replace") => self.set_http_response_header(name, Some(value)),
                (Side::Response, _) => self.remove_http_response_header(name),
            }
            let side = if side == Side::Request {
                "request"
            } else {
                "response"
            };
            info!("{side}: {} {name}", rule.op);
        }
    }
}

impl Context for Rewrite {}

impl HttpContext for Rewrite {
    fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
        self.apply(Side::Request);
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _: usize, _: bool) -> Action {
        self.apply(Side::Response);
        Action::Continue
    }
}
