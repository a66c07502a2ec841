//! Answers 403 itself, with an `x-denied-by` header, when the request has no `x-api-key`; lets
//! the others through.

use log::info;
use proxy_wasm::traits::*;
use proxy_wasm::types::*;

#[no_mangle]
pub fn _start() {
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(Gate) });
}

struct Gate;

impl Context for Gate {}

impl HttpContext for Gate {
    fn on_http_request_headers(&mut self, _: usize) -> Action {
        match self.get_http_request_header("x-api-key") {
            Some(key) => {
                info!("key {key}: allowed");
                Action::Continue
            }
            None => {
                info!("no key: denied");
                self.send_http_response(
                    403,
                    vec![("x-denied-by", "sdk-0.1")],
                    Some(b"missing x-api-key"),
                );
                Action::Pause
            }
        }
    }
}
