//! Answers the host owes the plugin (call responses, gRPC messages, queue notices), delivered to
//! the root context once due (right after the callback that caused them, unless the scenario
//! delays them), and the scenario events that reach the root context from outside (enqueues by
//! another producer, foreign function calls).

use crate::callouts::{Delivery, Owed, Received};
use crate::pairs;
use crate::run::Driver;
use crate::state::ROOT_ID;
use proxy_wasm_host_abi::v0_2_1::{GrpcStatus, Status};

/// Deliveries one callback may cause, directly or through the callbacks they run; past this the
/// plugin is feeding itself (e.g. re-enqueueing in `proxy_on_queue_ready`) and the rest is dropped.
const MAX_DELIVERIES: usize = 10_000;

fn count<T>(items: &[T]) -> u32 {
    u32::try_from(items.len()).unwrap_or(u32::MAX)
}

impl Driver<'_> {
    /// When the earliest answer still owed is due.
    pub(crate) fn next_due(&self) -> Option<u64> {
        let pending = &self.store.data().callouts.pending;
        pending.iter().map(|o| o.due_ns).min()
    }

    /// The earliest answer due by now; of those due together, the first made.
    fn take_due(&mut self) -> Option<Delivery> {
        let state = self.store.data_mut();
        let now = state.elapsed_ns;
        let pending = &mut state.callouts.pending;
        let (at, _) = (pending.iter().enumerate())
            .filter(|(_, o)| o.due_ns <= now)
            .min_by_key(|(_, o)| o.due_ns)?;
        pending.remove(at).map(|Owed { delivery, .. }| delivery)
    }

    /// Delivers everything due by now, earliest first, including what the deliveries cause.
    pub(crate) fn deliver_pending(&mut self) {
        if self.delivering || self.store.data().callouts.pending.is_empty() {
            return;
        }
        self.delivering = true;
        let mut delivered = 0;
        while let Some(delivery) = self.take_due() {
            if delivered == MAX_DELIVERIES {
                self.store.data_mut().callouts.pending.clear();
                self.fail(
                    Some(ROOT_ID),
                    "deliveries",
                    format!(
                        "more than {MAX_DELIVERIES} answers were owed in a row (the plugin keeps \
                         causing new ones); the rest were dropped"
                    ),
                );
                break;
            }
            delivered += 1;
            self.deliver(delivery);
        }
        self.delivering = false;
    }

    fn receive(&mut self, received: Option<Received>) {
        self.store.data_mut().callouts.received = received;
    }

    fn deliver(&mut self, delivery: Delivery) {
        let root = ROOT_ID;
        match delivery {
            Delivery::HttpResponse { id, reply } => {
                let (counts, status) = match &reply {
                    Some(r) => {
                        let body = u32::try_from(r.body.len()).unwrap_or(u32::MAX);
                        (
                            (count(&r.headers), body, count(&r.trailers)),
                            (0, Vec::new()),
                        )
                    }
                    // Envoy's failure path: no headers, and `proxy_get_status` says why.
                    None => {
                        let broken = u32::from(Status::BrokenConnection);
                        ((0, 0, 0), (broken, b"reset".to_vec()))
                    }
                };
                self.store.data_mut().callouts.status = status;
                self.receive(reply.map(|r| Received::HttpResponse {
                    headers: pairs::from_text(&r.headers),
                    body: r.body.into_vec(),
                    trailers: pairs::from_text(&r.trailers),
                }));
                let (h, b, t) = counts;
                let _ = self.call(root, "proxy_on_http_call_response", |e, s| {
                    e.proxy_on_http_call_response(s, root, id, h, b, t)
                });
            }
            Delivery::GrpcInitialMetadata { id, metadata } => {
                let n = count(&metadata);
                self.receive(Some(Received::GrpcInitialMetadata(metadata)));
                let _ = self.call(root, "proxy_on_grpc_receive_initial_metadata", |e, s| {
                    e.proxy_on_grpc_receive_initial_metadata(s, root, id, n)
                });
            }
            Delivery::GrpcMessage { id, message } => {
                let size = u32::try_from(message.len()).unwrap_or(u32::MAX);
                self.receive(Some(Received::GrpcMessage(message)));
                let _ = self.call(root, "proxy_on_grpc_receive", |e, s| {
                    e.proxy_on_grpc_receive(s, root, id, size)
                });
            }
            Delivery::GrpcTrailingMetadata { id, metadata } => {
                let n = count(&metadata);
                self.receive(Some(Received::GrpcTrailingMetadata(metadata)));
                let _ = self.call(root, "proxy_on_grpc_receive_trailing_metadata", |e, s| {
                    e.proxy_on_grpc_receive_trailing_metadata(s, root, id, n)
                });
            }
            Delivery::GrpcClose {
                id,
                status,
                message,
            } => {
                // Scenario statuses are checked when the run starts.
                let code = GrpcStatus::try_from(status).unwrap_or(GrpcStatus::Unknown);
                self.store.data_mut().callouts.status = (status as u32, message);
                self.receive(None);
                let _ = self.call(root, "proxy_on_grpc_close", |e, s| {
                    e.proxy_on_grpc_close(s, root, id, code)
                });
            }
            Delivery::QueueReady { queue } => {
                self.receive(None);
                let _ = self.call(root, "proxy_on_queue_ready", |e, s| {
                    e.proxy_on_queue_ready(s, root, queue)
                });
            }
        }
        self.receive(None);
    }

    /// Another producer enqueues `data` on the plugin's queue `name`.
    pub(crate) fn enqueue(&mut self, name: &str, data: &[u8]) {
        let state = self.store.data_mut();
        let Some(index) = (state.callouts.queues.iter()).position(|q| q.name == name.as_bytes())
        else {
            self.fail(
                None,
                "enqueue",
                format!("the scenario enqueues on `{name}`, which the plugin has not registered"),
            );
            return;
        };
        let id = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if state.enqueue(id, data).is_ok() {
            self.deliver_pending();
        }
    }

    /// The host calls the plugin's foreign function `id` with `data` as its arguments.
    pub(crate) fn foreign_function(&mut self, id: u32, data: &[u8]) {
        let size = u32::try_from(data.len()).unwrap_or(u32::MAX);
        self.receive(Some(Received::ForeignArguments(data.to_vec())));
        let root = ROOT_ID;
        let _ = self.call(root, "proxy_on_foreign_function", |e, s| {
            e.proxy_on_foreign_function(s, root, id, size)
        });
        self.receive(None);
    }
}
