//! What the plugin starts now and the host answers later: HTTP calls and gRPC calls/streams to
//! scripted upstreams, shared queues, foreign functions. Answers become [`Delivery`]s, each due at
//! a point of virtual time: the driver hands it to the plugin's root context once the callback
//! running then has returned (real hosts answer on a later event-loop turn), so a run is
//! deterministic. A scripted reply with `delay_ms` is due that much later.

use crate::pairs::{self, Pairs};
use crate::scenario::{GrpcReply, HttpReply, Scenario};
use crate::state::HostState;
use crate::transcript::{ForeignCall, GrpcCall, HttpCall};
use proxy_wasm_host_abi::v0_2_1::{GrpcStatus, Status};
use proxy_wasm_interchange::Bytes;
use std::collections::VecDeque;

/// A delivery and when it is due.
#[derive(Clone, Debug)]
pub struct Owed {
    /// Virtual time (nanoseconds since the run began) at which it is due.
    pub due_ns: u64,
    /// What is delivered.
    pub delivery: Delivery,
}

/// Something the host owes the plugin, delivered once due and the current callback has returned.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// `proxy_on_http_call_response`; `None` is the failure path.
    HttpResponse {
        /// The call id.
        id: u32,
        /// The upstream's answer, or `None` when the call failed.
        reply: Option<HttpReply>,
    },
    /// `proxy_on_grpc_receive_initial_metadata`.
    GrpcInitialMetadata {
        /// The call or stream id.
        id: u32,
        /// The metadata.
        metadata: Pairs,
    },
    /// `proxy_on_grpc_receive`.
    GrpcMessage {
        /// The call or stream id.
        id: u32,
        /// The message.
        message: Vec<u8>,
    },
    /// `proxy_on_grpc_receive_trailing_metadata`.
    GrpcTrailingMetadata {
        /// The call or stream id.
        id: u32,
        /// The metadata.
        metadata: Pairs,
    },
    /// `proxy_on_grpc_close`.
    GrpcClose {
        /// The call or stream id.
        id: u32,
        /// The gRPC status.
        status: i32,
        /// The status message `proxy_get_status` reports.
        message: Vec<u8>,
    },
    /// `proxy_on_queue_ready`.
    QueueReady {
        /// The queue id.
        queue: u32,
    },
}

impl Delivery {
    /// The gRPC call or stream it belongs to.
    fn grpc_id(&self) -> Option<u32> {
        match self {
            Delivery::GrpcInitialMetadata { id, .. }
            | Delivery::GrpcMessage { id, .. }
            | Delivery::GrpcTrailingMetadata { id, .. }
            | Delivery::GrpcClose { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// What the running delivery callback can read through the call maps and buffers.
#[derive(Clone, Debug)]
pub enum Received {
    /// An HTTP call's response: maps 6/7, buffer 4.
    HttpResponse {
        /// Response headers.
        headers: Pairs,
        /// Response body.
        body: Vec<u8>,
        /// Response trailers.
        trailers: Pairs,
    },
    /// gRPC initial metadata: map 4.
    GrpcInitialMetadata(Pairs),
    /// A gRPC message: buffer 5.
    GrpcMessage(Vec<u8>),
    /// gRPC trailing metadata: map 5.
    GrpcTrailingMetadata(Pairs),
    /// A foreign function's arguments: buffer 8.
    ForeignArguments(Vec<u8>),
}

/// Callout ids as cpp-host makes them: the low two bits tell HTTP calls (0), gRPC calls (1) and
/// gRPC streams (2) apart, and each kind counts up in steps of 4.
const HTTP_CALL: u32 = 0;
const GRPC_CALL: u32 = 1;
const GRPC_STREAM: u32 = 2;
const KIND_MASK: u32 = 3;

/// Scripted upstreams and the calls in flight.
#[derive(Debug, Default)]
pub struct Callouts {
    /// HTTP upstreams: name → replies not yet used.
    pub upstreams: Vec<(Vec<u8>, VecDeque<HttpReply>)>,
    /// gRPC upstreams: name → replies not yet used.
    pub grpc_upstreams: Vec<(Vec<u8>, VecDeque<GrpcReply>)>,
    /// Foreign functions: name → result bytes.
    pub foreign_functions: Vec<(Vec<u8>, Vec<u8>)>,
    last_id: [u32; 3],
    grpc: Vec<OpenGrpc>,
    /// Answers owed to the plugin, in the order they were made.
    pub pending: VecDeque<Owed>,
    /// What the running delivery callback may read.
    pub received: Option<Received>,
    /// What `proxy_get_status` reports: the last call's outcome.
    pub status: (u32, Vec<u8>),
    /// Shared queues; a queue's id is its index plus one.
    pub queues: Vec<Queue>,
}

/// A gRPC call or stream that has not closed yet.
#[derive(Debug)]
struct OpenGrpc {
    id: u32,
    /// Its entry in the transcript's `grpc_calls`.
    record: usize,
    /// Messages the upstream still has to send (streams).
    messages: VecDeque<Vec<u8>>,
    trailing: Pairs,
    status: i32,
    message: Vec<u8>,
    /// How long after what causes them its answers arrive.
    delay_ns: u64,
}

/// A shared queue.
#[derive(Clone, Debug)]
pub struct Queue {
    /// Its name.
    pub name: Vec<u8>,
    /// Items not yet dequeued.
    pub items: VecDeque<Vec<u8>>,
}

/// What a call gets when its upstream answers too late: the router's local reply, built as
/// Envoy builds every local reply (see `envoy_local_reply` in `http.rs`).
fn timeout_reply() -> HttpReply {
    let body = "upstream request timeout";
    HttpReply {
        headers: vec![
            (":status".into(), "504".into()),
            ("content-length".into(), body.len().to_string()),
            ("content-type".into(), "text/plain".into()),
        ],
        body: body.into(),
        ..HttpReply::default()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Callouts {
    /// The scenario's scripted upstreams and foreign functions; gRPC statuses must be real ones.
    pub fn new(scenario: &Scenario) -> Result<Self, String> {
        for (name, replies) in &scenario.grpc_upstreams {
            for (i, reply) in replies.iter().enumerate() {
                if GrpcStatus::try_from(reply.status).is_err() {
                    return Err(format!(
                        "grpc_upstreams.{name}[{i}].status: {} is not a gRPC status (0 to 16)",
                        reply.status
                    ));
                }
            }
        }
        Ok(Callouts {
            upstreams: (scenario.upstreams.iter())
                .map(|(k, v)| (k.as_bytes().to_vec(), v.iter().cloned().collect()))
                .collect(),
            grpc_upstreams: (scenario.grpc_upstreams.iter())
                .map(|(k, v)| (k.as_bytes().to_vec(), v.iter().cloned().collect()))
                .collect(),
            foreign_functions: (scenario.foreign_functions.iter())
                .map(|(k, v)| (k.as_bytes().to_vec(), v.to_vec()))
                .collect(),
            ..Callouts::default()
        })
    }

    fn next_id(&mut self, kind: u32) -> u32 {
        let slot = &mut self.last_id[kind as usize];
        if *slot == 0 {
            *slot = kind;
        }
        *slot = slot.wrapping_add(4);
        *slot
    }

    fn script<T>(scripts: &mut [(Vec<u8>, VecDeque<T>)], name: &[u8]) -> Option<Option<T>> {
        scripts
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, replies)| replies.pop_front())
    }

    fn owe(&mut self, due_ns: u64, delivery: Delivery) {
        self.pending.push_back(Owed { due_ns, delivery });
    }

    /// Queues the remaining answers of a gRPC call or stream, through its close, due its delay
    /// after `now_ns`.
    fn finish_grpc(&mut self, at: usize, now_ns: u64) {
        let open = self.grpc.remove(at);
        let (id, due) = (open.id, now_ns.saturating_add(open.delay_ns));
        for message in open.messages {
            self.owe(due, Delivery::GrpcMessage { id, message });
        }
        if !open.trailing.is_empty() {
            let metadata = open.trailing;
            self.owe(due, Delivery::GrpcTrailingMetadata { id, metadata });
        }
        let (status, message) = (open.status, open.message);
        self.owe(
            due,
            Delivery::GrpcClose {
                id,
                status,
                message,
            },
        );
    }

    fn find_grpc(&self, id: u32) -> Option<usize> {
        self.grpc.iter().position(|g| g.id == id)
    }
}

impl HostState {
    /// `proxy_http_call`, following Envoy's checks (source/extensions/common/wasm/context.cc
    /// Context::httpCall; spec v0.2.1 `proxy_http_call` lines 1201-1202).
    pub(crate) fn http_call(
        &mut self,
        upstream: &[u8],
        headers: &[u8],
        body: &[u8],
        trailers: &[u8],
        timeout: u32,
    ) -> Result<u32, Status> {
        const NAME: &str = "proxy_http_call";
        let bad = Status::BadArgument;
        let (Some(headers), Some(trailers)) = (pairs::decode(headers), pairs::decode(trailers))
        else {
            let reason = "the headers or trailers are not in the header-map format";
            return Err(self.refuse(NAME, bad, reason));
        };
        // Envoy reads the timeout as a signed 32-bit number and refuses negative ones.
        if i32::try_from(timeout).is_err() {
            let reason = format!("timeout {timeout} is negative as Envoy reads it (i32)");
            return Err(self.refuse(NAME, bad, reason));
        }
        let has = |name: &[u8]| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
        // Envoy accepts `host` for `:authority` (it is the same header there).
        let missing: Vec<&str> = [(":method", has(b":method")), (":path", has(b":path"))]
            .into_iter()
            .chain([(":authority", has(b":authority") || has(b"host"))])
            .filter_map(|(name, present)| (!present).then_some(name))
            .collect();
        if !missing.is_empty() {
            let reason = format!("Envoy requires the header(s) {}", missing.join(", "));
            return Err(self.refuse(NAME, bad, reason));
        }
        let calls = &mut self.callouts;
        let Some(reply) = Callouts::script(&mut calls.upstreams, upstream) else {
            let reason = format!(
                "no upstream `{}` in the scenario's `upstreams` (Envoy: no such cluster)",
                text(upstream)
            );
            return Err(self.refuse(NAME, bad, reason));
        };
        let id = calls.next_id(HTTP_CALL);
        let delay_ms = reply.as_ref().map_or(0, |r| r.delay_ms);
        // Envoy: a timeout of 0 is none; past it the router answers the call itself
        // (source/common/router/router.cc Filter::onResponseTimeout: 504, "upstream request
        // timeout"), and the plugin gets that as the call's response.
        let timed_out = timeout > 0 && delay_ms >= u64::from(timeout);
        let (after_ms, reply) = if timed_out {
            (u64::from(timeout), Some(timeout_reply()))
        } else {
            (delay_ms, reply.filter(|r| !r.fail))
        };
        let due = self
            .elapsed_ns
            .saturating_add(after_ms.saturating_mul(1_000_000));
        calls.owe(due, Delivery::HttpResponse { id, reply });
        let context = self.target();
        self.transcript.http_calls.push(HttpCall {
            context,
            id,
            upstream: text(upstream),
            headers: pairs::into_entries(headers),
            body: body.into(),
            trailers: pairs::into_entries(trailers),
            timeout_ms: timeout,
            timed_out,
        });
        Ok(id)
    }

    /// `proxy_grpc_call` (with `message`) or `proxy_grpc_stream` (without).
    pub(crate) fn grpc_open(
        &mut self,
        upstream: &[u8],
        service: &[u8],
        method: &[u8],
        metadata: &[u8],
        message: Option<&[u8]>,
    ) -> Result<u32, Status> {
        let name = if message.is_some() {
            "proxy_grpc_call"
        } else {
            "proxy_grpc_stream"
        };
        // Envoy: metadata it cannot use means no client can be made.
        let Some(metadata) = pairs::decode(metadata) else {
            let reason = "the initial metadata is not in the header-map format";
            return Err(self.refuse(name, Status::BadArgument, reason));
        };
        let calls = &mut self.callouts;
        let Some(reply) = Callouts::script(&mut calls.grpc_upstreams, upstream) else {
            let reason = format!(
                "no upstream `{}` in the scenario's `grpc_upstreams` (Envoy cannot parse it \
                 into a gRPC service)",
                text(upstream)
            );
            return Err(self.refuse(name, Status::ParseFailure, reason));
        };
        let reply = reply.unwrap_or_else(|| GrpcReply {
            // gRPC's UNAVAILABLE: the scripted upstream has nothing more to say.
            status: 14,
            status_message: "no scripted reply left".into(),
            ..GrpcReply::default()
        });
        let id = calls.next_id(if message.is_some() {
            GRPC_CALL
        } else {
            GRPC_STREAM
        });
        let delay_ns = reply.delay_ms.saturating_mul(1_000_000);
        let now = self.elapsed_ns;
        if !reply.initial_metadata.is_empty() {
            let metadata = pairs::from_text(&reply.initial_metadata);
            let due = now.saturating_add(delay_ns);
            calls.owe(due, Delivery::GrpcInitialMetadata { id, metadata });
        }
        let record = self.transcript.grpc_calls.len();
        calls.grpc.push(OpenGrpc {
            id,
            record,
            messages: reply
                .messages
                .iter()
                .map(|m| m.as_bytes().to_vec())
                .collect(),
            trailing: pairs::from_text(&reply.trailing_metadata),
            status: reply.status,
            message: reply.status_message.into_bytes(),
            delay_ns,
        });
        if message.is_some() {
            let at = calls.grpc.len() - 1;
            calls.finish_grpc(at, now);
        }
        let context = self.target();
        self.transcript.grpc_calls.push(GrpcCall {
            context,
            id,
            kind: if message.is_some() { "call" } else { "stream" }.into(),
            upstream: text(upstream),
            service: text(service),
            method: text(method),
            initial_metadata: pairs::into_entries(metadata),
            messages: message.map(Bytes::from).into_iter().collect(),
            ended_by_plugin: None,
        });
        Ok(id)
    }

    /// `proxy_grpc_send`: the upstream answers each message with its next scripted one.
    pub(crate) fn grpc_send(
        &mut self,
        id: u32,
        message: &[u8],
        end_stream: bool,
    ) -> Result<(), Status> {
        const NAME: &str = "proxy_grpc_send";
        if id & KIND_MASK != GRPC_STREAM {
            let reason = format!("{id} is not a gRPC stream id");
            return Err(self.refuse(NAME, Status::BadArgument, reason));
        }
        let calls = &mut self.callouts;
        let Some(at) = calls.find_grpc(id) else {
            let reason = format!("gRPC stream {id} is not open for sending");
            return Err(self.refuse(NAME, Status::NotFound, reason));
        };
        let now = self.elapsed_ns;
        let open = &mut calls.grpc[at];
        let record = open.record;
        let due = now.saturating_add(open.delay_ns);
        if let Some(message) = open.messages.pop_front() {
            calls.owe(due, Delivery::GrpcMessage { id, message });
        }
        if end_stream {
            calls.finish_grpc(at, now);
        }
        if let Some(call) = self.transcript.grpc_calls.get_mut(record) {
            call.messages.push(message.into());
            if end_stream {
                call.ended_by_plugin = Some("half_closed".into());
            }
        }
        Ok(())
    }

    /// `proxy_grpc_cancel` (`close == false`) or `proxy_grpc_close`. Envoy: cancelling, or
    /// closing a unary call, ends it without `proxy_on_grpc_close`; closing a stream half-closes it.
    pub(crate) fn grpc_end(&mut self, id: u32, close: bool) -> Result<(), Status> {
        let name = if close {
            "proxy_grpc_close"
        } else {
            "proxy_grpc_cancel"
        };
        if !matches!(id & KIND_MASK, GRPC_CALL | GRPC_STREAM) {
            let reason = format!("{id} is not a gRPC call or stream id");
            return Err(self.refuse(name, Status::BadArgument, reason));
        }
        let gone = format!("gRPC call or stream {id} has ended");
        let calls = &mut self.callouts;
        let still_owed = (calls.pending.iter()).any(|o| o.delivery.grpc_id() == Some(id));
        let at = calls.find_grpc(id);
        let record = match at {
            Some(at) => calls.grpc[at].record,
            None if still_owed => {
                match self.transcript.grpc_calls.iter().position(|c| c.id == id) {
                    Some(record) => record,
                    None => return Err(self.refuse(name, Status::NotFound, gone)),
                }
            }
            None => return Err(self.refuse(name, Status::NotFound, gone)),
        };
        let half_close = close && id & KIND_MASK == GRPC_STREAM;
        let now = self.elapsed_ns;
        let how = match (half_close, at) {
            (true, Some(at)) => {
                calls.finish_grpc(at, now);
                "half_closed"
            }
            // Already half-closed: its answers are on their way.
            (true, None) => return Ok(()),
            (false, _) => {
                calls.grpc.retain(|g| g.id != id);
                calls.pending.retain(|o| o.delivery.grpc_id() != Some(id));
                if close { "closed" } else { "cancelled" }
            }
        };
        if let Some(call) = self.transcript.grpc_calls.get_mut(record) {
            call.ended_by_plugin = Some(how.into());
        }
        Ok(())
    }

    /// `proxy_register_shared_queue`: registering a name again keeps its items (cpp-host).
    pub(crate) fn register_queue(&mut self, name: &[u8]) -> Result<u32, Status> {
        let queues = &mut self.callouts.queues;
        let index = match queues.iter().position(|q| q.name == name) {
            Some(i) => i,
            None => {
                queues.push(Queue {
                    name: name.to_vec(),
                    items: VecDeque::new(),
                });
                queues.len() - 1
            }
        };
        u32::try_from(index + 1).map_err(|_| Status::InternalFailure)
    }

    /// `proxy_resolve_shared_queue`: an empty VM id means the plugin's own VM.
    pub(crate) fn resolve_queue(&mut self, vm_id: &[u8], name: &[u8]) -> Result<u32, Status> {
        let own = self
            .properties
            .get("plugin_vm_id")
            .map(Vec::as_slice)
            .unwrap_or_default();
        const NAME: &str = "proxy_resolve_shared_queue";
        if !vm_id.is_empty() && vm_id != own {
            let reason = format!(
                "VM `{}` is not this one (`{}`, the scenario's `vm_id`); this host runs one VM",
                text(vm_id),
                text(own)
            );
            return Err(self.refuse(NAME, Status::NotFound, reason));
        }
        let Some(index) = (self.callouts.queues.iter()).position(|q| q.name == name) else {
            let reason = format!("no queue `{}` was registered", text(name));
            return Err(self.refuse(NAME, Status::NotFound, reason));
        };
        u32::try_from(index + 1).map_err(|_| Status::InternalFailure)
    }

    fn no_queue(&mut self, function: &'static str, id: u32) -> Status {
        let reason = format!("no queue has id {id}");
        self.refuse(function, Status::NotFound, reason)
    }

    fn queue(&mut self, id: u32) -> Option<&mut Queue> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.callouts.queues.get_mut(index)
    }

    /// `proxy_enqueue_shared_queue`; the registrant hears of it through `proxy_on_queue_ready`.
    pub(crate) fn enqueue(&mut self, id: u32, value: &[u8]) -> Result<(), Status> {
        let Some(queue) = self.queue(id) else {
            return Err(self.no_queue("proxy_enqueue_shared_queue", id));
        };
        queue.items.push_back(value.to_vec());
        let now = self.elapsed_ns;
        self.callouts.owe(now, Delivery::QueueReady { queue: id });
        Ok(())
    }

    /// `proxy_dequeue_shared_queue`.
    pub(crate) fn dequeue(&mut self, id: u32) -> Result<Vec<u8>, Status> {
        let Some(queue) = self.queue(id) else {
            return Err(self.no_queue("proxy_dequeue_shared_queue", id));
        };
        queue.items.pop_front().ok_or(Status::Empty)
    }

    /// `proxy_call_foreign_function`: the scenario's functions return fixed bytes.
    pub(crate) fn call_foreign(
        &mut self,
        name: &[u8],
        arguments: &[u8],
    ) -> Result<Vec<u8>, Status> {
        let functions = &self.callouts.foreign_functions;
        let Some(result) = (functions.iter().find(|(n, _)| n == name)).map(|(_, r)| r.clone())
        else {
            let reason = format!(
                "no foreign function `{}` in the scenario's `foreign_functions`",
                text(name)
            );
            return Err(self.refuse("proxy_call_foreign_function", Status::NotFound, reason));
        };
        let context = self.target();
        self.transcript.foreign_calls.push(ForeignCall {
            context,
            name: text(name),
            arguments: arguments.into(),
        });
        Ok(result)
    }
}
