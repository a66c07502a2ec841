//! Reads the host's properties and logs them; sets a property of its own and reads it back.

use log::info;
use proxy_wasm::traits::*;
use proxy_wasm::types::*;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(Props) });
}}

struct Props;

impl Props {
    fn text(&self, path: &str) -> String {
        match self.get_property(path.split('.').collect()) {
            Some(v) => String::from_utf8_lossy(&v).into_owned(),
            None => "(none)".to_string(),
        }
    }
}

impl Context for Props {}

impl HttpContext for Props {
    fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
        for path in [
            "plugin_name",
            "request.path",
            "request.method",
            "source.address",
            "no.such",
        ] {
            info!("{path} = {}", self.text(path));
        }
        // A header map, serialized: count, then the sizes, then the NUL-ended strings.
        if let Some(map) = self.get_property(vec!["request", "headers"]) {
            let count = map
                .get(..4)
                .map(|n| u32::from_le_bytes([n[0], n[1], n[2], n[3]]));
            info!("request.headers: {} bytes, {count:?} headers", map.len());
        }
        // Envoy keeps what a plugin sets as the stream's filter state and finds it by the
        // path's first segment: a one-segment path reads back, a longer one does not.
        self.set_property(vec!["sdk_note"], Some(b"set by the plugin"));
        self.set_property(vec!["sdk", "note"], Some(b"set by the plugin"));
        info!("sdk_note = {}", self.text("sdk_note"));
        info!("sdk.note = {}", self.text("sdk.note"));
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _: usize, _: bool) -> Action {
        // Integers are 8 bytes little-endian.
        match self.get_property(vec!["response", "code"]) {
            Some(v) if v.len() == 8 => {
                let mut bytes = [0; 8];
                bytes.copy_from_slice(&v);
                info!("response.code = {}", i64::from_le_bytes(bytes));
            }
            other => info!("response.code is {other:?}"),
        }
        Action::Continue
    }
}
