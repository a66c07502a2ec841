//! TCP connections in Envoy's order (source/extensions/common/wasm/context.cc
//! Context::onNewConnection, onData, onWrite, onEvent, onCloseTCP): `proxy_on_new_connection`,
//! the client's chunks through `proxy_on_downstream_data`, the upstream's through
//! `proxy_on_upstream_data`, then the close callbacks and the end of the context.

use crate::run::Driver;
use crate::scenario::TcpStream;
use crate::state::{Connection, ROOT_ID, TcpPhase};
use crate::transcript::TcpOutcome;
use proxy_wasm_host_abi::v0_2_1::{Action, PeerType};
use proxy_wasm_interchange::Bytes;

/// How a connection callback ended.
enum Next {
    Go,
    /// Paused and not resumed.
    Stalled,
    /// The plugin closed the connection.
    Closed,
}

impl Driver<'_> {
    fn connection(&mut self, id: u32) -> Option<&mut Connection> {
        self.store.data_mut().connections.get_mut(&id)
    }

    fn next(&mut self, id: u32, answer: Result<Option<Action>, ()>) -> Next {
        let Some(c) = self.connection(id) else {
            return Next::Closed;
        };
        if c.closed_by_plugin.is_some() {
            return Next::Closed;
        }
        match answer {
            Ok(None | Some(Action::Continue)) => Next::Go,
            Ok(Some(_)) if c.resumed => Next::Go,
            Ok(Some(_)) | Err(()) => Next::Stalled,
        }
    }

    /// One TCP connection through the plugin.
    pub(crate) fn tcp(&mut self, script: &TcpStream) {
        let id = self.next_stream;
        self.next_stream = self.next_stream.saturating_add(1);
        let mut outcome = TcpOutcome {
            context: id,
            ..TcpOutcome::default()
        };
        // cpp-host src/context.cc CHECK_FAIL_NET: a failed VM is not entered; Envoy closes the
        // connection (`Context::failStream`), or with fail_open the bytes pass unchanged.
        if let Some(why) = self.failed.clone() {
            let what = if self.fail_open {
                outcome.to_upstream = Bytes::concat(&script.downstream);
                outcome.to_downstream = Bytes::concat(&script.upstream);
                "it passed unchanged (fail_open)"
            } else {
                "the host closed it"
            };
            let message = format!("connection not run: the VM failed earlier ({why}); {what}");
            self.fail(Some(id), "proxy_on_context_create", message);
            self.store.data_mut().transcript.tcp.push(outcome);
            return;
        }
        self.store
            .data_mut()
            .connections
            .insert(id, Connection::new());
        let created = self.call(id, "proxy_on_context_create", |e, s| {
            e.proxy_on_context_create(s, id, ROOT_ID)
        });
        if created.is_ok() {
            let answer = self.call(id, "proxy_on_new_connection", |e, s| {
                e.proxy_on_new_connection(s, id)
            });
            let mut open = match self.next(id, answer) {
                Next::Go => true,
                Next::Stalled => {
                    outcome.stalled_in = Some("new_connection".into());
                    false
                }
                Next::Closed => false,
            };
            for upstream in [false, true] {
                if !open {
                    break;
                }
                let chunks = if upstream {
                    &script.upstream
                } else {
                    &script.downstream
                };
                match self.data(id, chunks, upstream) {
                    Ok(passed) if upstream => outcome.to_downstream = passed,
                    Ok(passed) => outcome.to_upstream = passed,
                    Err(stalled) => {
                        outcome.stalled_in = stalled;
                        open = false;
                    }
                }
            }
            self.close(id);
            outcome.closed_by_plugin =
                (self.connection(id)).and_then(|c| c.closed_by_plugin.map(str::to_string));
        }
        self.finish_stream(id);
        self.store.data_mut().transcript.tcp.push(outcome);
    }

    /// One side's chunks; the sender closes after its last one (`end_of_stream`), so a side that
    /// sends nothing still ends with an empty chunk. A paused chunk is offered again with the
    /// next one, as Envoy leaves unread data in the connection buffer. `Err` names the callback
    /// that stalled (or `None` when the plugin closed the connection).
    fn data(&mut self, id: u32, chunks: &[Bytes], upstream: bool) -> Result<Bytes, Option<String>> {
        let (phase, callback) = if upstream {
            (TcpPhase::Upstream, "proxy_on_upstream_data")
        } else {
            (TcpPhase::Downstream, "proxy_on_downstream_data")
        };
        let empty = [Bytes::default()];
        let chunks = if chunks.is_empty() {
            &empty[..]
        } else {
            chunks
        };
        let mut passed = Vec::new();
        let mut buffered = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let last = i + 1 == chunks.len();
            let Some(c) = self.connection(id) else {
                return Err(None);
            };
            c.phase = phase;
            c.resumed = false;
            buffered.extend_from_slice(chunk.as_bytes());
            c.data = std::mem::take(&mut buffered);
            let size = u32::try_from(c.data.len()).unwrap_or(u32::MAX);
            let answer = self.call(id, callback, |e, s| {
                if upstream {
                    e.proxy_on_upstream_data(s, id, size, last)
                } else {
                    e.proxy_on_downstream_data(s, id, size, last)
                }
            });
            let next = self.next(id, answer);
            let Some(c) = self.connection(id) else {
                return Err(None);
            };
            match next {
                Next::Go => passed.append(&mut c.data),
                Next::Stalled if !last => buffered = std::mem::take(&mut c.data),
                Next::Stalled => return Err(Some(callback.trim_start_matches("proxy_on_").into())),
                Next::Closed => return Err(None),
            }
        }
        Ok(passed.into())
    }

    /// The close callbacks: the client's side first (closed by the remote peer, or locally when
    /// the plugin closed it), then the upstream's, which Envoy reports with an unknown peer.
    fn close(&mut self, id: u32) {
        let Some(c) = self.connection(id) else {
            return;
        };
        c.phase = TcpPhase::Closing;
        let peer = if c.closed_by_plugin.is_some() {
            PeerType::Local
        } else {
            PeerType::Remote
        };
        let _ = self.call(id, "proxy_on_downstream_connection_close", |e, s| {
            e.proxy_on_downstream_connection_close(s, id, peer)
        });
        let _ = self.call(id, "proxy_on_upstream_connection_close", |e, s| {
            e.proxy_on_upstream_connection_close(s, id, PeerType::Unknown)
        });
    }
}
