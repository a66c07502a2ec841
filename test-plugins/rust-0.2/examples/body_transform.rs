//! Uppercases the response body: pauses until the last chunk, so the host buffers the body, then
//! rewrites it whole. Drops `content-length`, which the new body may not match.

use log::info;
use proxy_wasm::traits::*;
use proxy_wasm::types::*;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(Upper) });
}}

struct Upper;

impl Context for Upper {}

impl HttpContext for Upper {
    fn on_http_response_headers(&mut self, _: usize, _: bool) -> Action {
        self.remove_http_response_header("content-length");
        Action::Continue
    }

    fn on_http_response_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if !end_of_stream {
            info!("buffering {body_size} bytes");
            return Action::Pause;
        }
        let body = self
            .get_http_response_body(0, body_size)
            .unwrap_or_default();
        let upper = body.to_ascii_uppercase();
        self.set_http_response_body(0, body_size, &upper);
        info!("uppercased {} bytes", upper.len());
        Action::Continue
    }
}
