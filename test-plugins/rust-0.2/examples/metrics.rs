//! Metrics: counts requests (counter), tracks streams in flight (gauge) and records each
//! response body's size (histogram), logging the values it reads back.

use log::info;
use proxy_wasm::hostcalls;
use proxy_wasm::traits::*;
use proxy_wasm::types::*;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root(None)) });
}}

#[derive(Clone, Copy)]
struct Ids {
    requests: u32,
    active: u32,
    body_bytes: u32,
}

struct Root(Option<Ids>);

impl Context for Root {}

impl RootContext for Root {
    fn on_vm_start(&mut self, _: usize) -> bool {
        let ids = (|| {
            Ok::<_, Status>(Ids {
                requests: hostcalls::define_metric(MetricType::Counter, "sdk.requests")?,
                active: hostcalls::define_metric(MetricType::Gauge, "sdk.active")?,
                body_bytes: hostcalls::define_metric(MetricType::Histogram, "sdk.body_bytes")?,
            })
        })();
        match ids {
            Ok(ids) => {
                info!("metrics {} {} {}", ids.requests, ids.active, ids.body_bytes);
                self.0 = Some(ids);
                true
            }
            Err(status) => {
                info!("cannot define metrics: {status:?}");
                false
            }
        }
    }

    fn create_http_context(&self, _: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Count {
            ids: self.0?,
            body: 0,
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Count {
    ids: Ids,
    body: usize,
}

impl Count {
    fn show(&self, when: &str) {
        let get = |id| match hostcalls::get_metric(id) {
            Ok(v) => (v as i64).to_string(),
            Err(status) => format!("{status:?}"),
        };
        info!(
            "{when}: requests={} active={} body_bytes={}",
            get(self.ids.requests),
            get(self.ids.active),
            get(self.ids.body_bytes)
        );
    }
}

impl Context for Count {}

impl HttpContext for Count {
    fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
        let _ = hostcalls::increment_metric(self.ids.requests, 1);
        let _ = hostcalls::increment_metric(self.ids.active, 1);
        self.show("request");
        Action::Continue
    }

    fn on_http_response_body(&mut self, body_size: usize, _: bool) -> Action {
        self.body += body_size;
        Action::Continue
    }

    fn on_log(&mut self) {
        let _ = hostcalls::increment_metric(self.ids.active, -1);
        let _ = hostcalls::record_metric(self.ids.body_bytes, self.body as u64);
        self.show("done");
    }
}
