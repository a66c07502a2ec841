//! Ticks, shared data and a queue: every second the root context bumps the shared counter
//! `ticks` with compare-and-swap and puts a message on its queue `events`; when the queue has
//! items it drains them into the log.

use log::{info, warn};
use proxy_wasm::traits::*;
use proxy_wasm::types::*;
use std::time::Duration;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Ticker { queue: 0 }) });
}}

struct Ticker {
    queue: u32,
}

impl Ticker {
    /// Adds one to `ticks` with compare-and-swap, retrying on a lost race; the new count.
    fn bump(&self) -> Option<u64> {
        loop {
            let (value, cas) = self.get_shared_data("ticks");
            let count = value
                .and_then(|v| String::from_utf8(v).ok()?.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            match self.set_shared_data("ticks", Some(count.to_string().as_bytes()), cas) {
                Ok(()) => {
                    // The token just used is spent: writing with it again must fail.
                    if let Err(status) = self.set_shared_data("ticks", Some(b"stale"), cas) {
                        info!("stale cas refused: {status:?}");
                    }
                    return Some(count);
                }
                Err(Status::CasMismatch) => continue,
                Err(status) => {
                    warn!("cannot set ticks: {status:?}");
                    return None;
                }
            }
        }
    }
}

impl Context for Ticker {}

impl RootContext for Ticker {
    fn on_vm_start(&mut self, _: usize) -> bool {
        // A value from the start, so that every tick holds a CAS token (0 would skip the check).
        if let Err(status) = self.set_shared_data("ticks", Some(b"0"), None) {
            warn!("cannot set ticks: {status:?}");
            return false;
        }
        self.queue = self.register_shared_queue("events");
        info!("registered queue events as {}", self.queue);
        self.set_tick_period(Duration::from_secs(1));
        true
    }

    fn on_tick(&mut self) {
        let Some(count) = self.bump() else { return };
        info!("tick {count}");
        let message = format!("tick {count}");
        if let Err(status) = self.enqueue_shared_queue(self.queue, Some(message.as_bytes())) {
            warn!("cannot enqueue: {status:?}");
        }
    }

    fn on_queue_ready(&mut self, queue_id: u32) {
        while let Ok(Some(item)) = self.dequeue_shared_queue(queue_id) {
            info!("queue {queue_id}: {}", String::from_utf8_lossy(&item));
        }
    }
}
