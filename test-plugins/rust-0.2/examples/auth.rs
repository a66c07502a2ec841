//! Authorizes requests: without an `authorization` header the answer is a local 403; with one,
//! an HTTP call to the upstream `auth` decides. A 200 from it lets the request through with the
//! user it names; any other status denies it; a failed call answers 503.

use log::{info, warn};
use proxy_wasm::traits::*;
use proxy_wasm::types::*;
use std::time::Duration;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(Auth) });
}}

struct Auth;

// The SDK reads proxy_get_status only for gRPC and panics on a status it does not expect; the
// failure path of an HTTP call is read here directly.
#[link(wasm_import_module = "env")]
extern "C" {
    fn proxy_get_status(code: *mut u32, message: *mut *mut u8, size: *mut usize) -> u32;
}

/// What proxy_get_status says, as text.
fn call_status() -> String {
    let (mut code, mut data, mut size) = (0u32, std::ptr::null_mut(), 0usize);
    // SAFETY: the out-pointers are valid; the host fills `data` from the SDK's allocator.
    let status = unsafe { proxy_get_status(&mut code, &mut data, &mut size) };
    let message = if data.is_null() {
        String::new()
    } else {
        // SAFETY: the host allocated `size` bytes at `data` through `proxy_on_memory_allocate`.
        String::from_utf8_lossy(&unsafe { Vec::from_raw_parts(data, size, size) }).into_owned()
    };
    format!("proxy_get_status returned {status}, code {code}, message {message:?}")
}

impl Auth {
    fn deny(&self, status: u32, reason: &str) {
        info!("deny {status}: {reason}");
        self.send_http_response(
            status,
            vec![("x-denied-by", "auth")],
            Some(reason.as_bytes()),
        );
    }
}

impl HttpContext for Auth {
    fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
        let Some(credentials) = self.get_http_request_header("authorization") else {
            self.deny(403, "missing authorization");
            return Action::Pause;
        };
        let headers = vec![
            (":method", "POST"),
            (":path", "/check"),
            (":authority", "auth"),
        ];
        match self.dispatch_http_call(
            "auth",
            headers,
            Some(credentials.as_bytes()),
            vec![],
            Duration::from_millis(500),
        ) {
            Ok(token) => {
                info!("asked auth, call {token}");
                Action::Pause
            }
            Err(status) => {
                warn!("cannot call auth: {status:?}");
                self.deny(500, "auth unreachable");
                Action::Pause
            }
        }
    }
}

impl Context for Auth {
    fn on_http_call_response(&mut self, token: u32, headers: usize, body: usize, trailers: usize) {
        info!("call {token} answered: {headers} headers, {body} body bytes, {trailers} trailers");
        if headers == 0 {
            warn!("auth call failed: {}", call_status());
            self.deny(503, "auth failed");
            return;
        }
        let status = self.get_http_call_response_header(":status");
        let user = self
            .get_http_call_response_body(0, body)
            .unwrap_or_default();
        if status.as_deref() == Some("200") {
            let user = String::from_utf8_lossy(&user).into_owned();
            info!("allow {user}");
            self.add_http_request_header("x-auth-user", &user);
            self.resume_http_request();
        } else {
            self.deny(403, "rejected by auth");
        }
    }
}
