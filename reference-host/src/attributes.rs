//! Envoy's attributes, the values `proxy_get_property` finds when the scenario and the plugin set
//! none: derived from the stream or connection where Envoy derives them
//! (source/extensions/filters/common/expr/context.cc, the `*LookupValues` tables), plus the
//! Wasm ones (source/extensions/common/wasm/context.cc `Context::findValue`). Values are encoded
//! as Envoy's `serializeValue` there (the spec defines none): strings raw, integers, durations
//! and timestamps (Unix nanoseconds) 8 bytes little-endian, booleans 1 byte, maps in the
//! header-map format, messages as serialized protobuf.
//!
//! The names Envoy serves under `xds.` are also served at the top level, where Envoy's Wasm
//! extension served them before (`node`, `cluster_name`, `route_name`, the `*_metadata`
//! messages, `listener_direction`: its `PROPERTY_TOKENS`).

use crate::pairs::{self, Pairs};
use crate::scenario::{Certificate, Tls};
use crate::state::{HostState, Phase, Stream};
use proxy_wasm_host_abi::v0_2_1::MapType;

/// The client's and the listener's addresses every stream and connection reports, and the
/// upstream host every request that leaves reaches (a scenario can give others in its
/// `properties`, for the run or per stream).
const SOURCE: &str = "127.0.0.1:40000";
const SOURCE_PORT: i64 = 40000;
const DESTINATION: &str = "127.0.0.1:10000";
const DESTINATION_PORT: i64 = 10000;
const UPSTREAM: &str = "127.0.0.1:20000";
const UPSTREAM_PORT: i64 = 20000;
const UPSTREAM_LOCAL: &str = "127.0.0.1:41000";

/// The configuration names a stream runs under: Envoy's node (its bootstrap), and the cluster,
/// route and virtual host the request is routed by.
const NODE_ID: &str = "reference-host";
const NODE_CLUSTER: &str = "reference-host";
const CLUSTER_NAME: &str = "upstream";
const ROUTE_NAME: &str = "route";
const VIRTUAL_HOST_NAME: &str = "local";

fn int(v: i64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn uint(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn size(n: usize) -> Vec<u8> {
    int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn find(map: &Pairs, name: &str) -> Option<Vec<u8>> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| v.clone())
}

/// Envoy's `HeaderMap::byteSize`: every name and value, nothing else.
fn byte_size(map: &Pairs) -> usize {
    map.iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// A protobuf string field (wire type 2); an empty one is left out, as proto3 serializes.
fn proto_string(out: &mut Vec<u8>, field: u8, value: &[u8]) {
    if value.is_empty() {
        return;
    }
    out.push(field << 3 | 2);
    let mut len = value.len();
    while len >= 0x80 {
        out.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(value);
}

/// A `connection.*` attribute of a TLS connection: Envoy's `SslExtractorsValues` (a subject is
/// empty without the certificate, a SAN or digest absent) and, from `ConnectionLookupValues`,
/// `mtls` (a peer certificate was presented) and `requested_server_name`.
fn tls_attribute(tls: &Tls, name: &str) -> Option<Vec<u8>> {
    let (local, peer) = (
        tls.local_certificate.as_ref(),
        tls.peer_certificate.as_ref(),
    );
    let subject = |c: Option<&Certificate>| c.map(|c| c.subject.as_bytes().to_vec());
    let first = |sans: Option<&Vec<String>>| Some(sans?.first()?.as_bytes().to_vec());
    match name {
        "mtls" => Some(vec![u8::from(peer.is_some())]),
        "requested_server_name" => Some(tls.requested_server_name.as_bytes().to_vec()),
        "tls_version" => Some(tls.version.as_bytes().to_vec()),
        "subject_local_certificate" => Some(subject(local).unwrap_or_default()),
        "subject_peer_certificate" => Some(subject(peer).unwrap_or_default()),
        "uri_san_local_certificate" => first(local.map(|c| &c.uri_san)),
        "uri_san_peer_certificate" => first(peer.map(|c| &c.uri_san)),
        "dns_san_local_certificate" => first(local.map(|c| &c.dns_san)),
        "dns_san_peer_certificate" => first(peer.map(|c| &c.dns_san)),
        "sha256_peer_certificate_digest" => peer
            .map(|c| c.sha256_digest.as_bytes().to_vec())
            .filter(|d| !d.is_empty()),
        _ => None,
    }
}

/// Envoy's `Grpc::Utility::httpToGrpcStatus` (source/common/grpc/status.cc).
pub(crate) fn http_to_grpc(status: u32) -> u32 {
    match status {
        400 => 13,
        401 => 16,
        403 => 7,
        404 => 12,
        429 | 502 | 503 | 504 => 14,
        _ => 2,
    }
}

impl HostState {
    /// A value set by the scenario (for the stream, or the run) or by the plugin.
    fn set_value(&self, stream: Option<&Stream>, path: &str) -> Option<Vec<u8>> {
        stream
            .and_then(|s| s.properties.get(path))
            .or_else(|| self.properties.get(path))
            .cloned()
    }

    /// A property: set by the scenario or the plugin, else Envoy's attribute for context `id`.
    pub(crate) fn property_of(&self, id: u32, path: &str) -> Option<Vec<u8>> {
        let s = self.streams.get(&id).map(|s| &**s);
        if let Some(v) = self.set_value(s, path) {
            return Some(v);
        }
        let connected = s.is_some() || self.connections.contains_key(&id);
        // `xds.x` and Envoy's older top-level `x` are one attribute.
        let xds = path.strip_prefix("xds.").unwrap_or(path);
        let node_field = |field: &str| {
            let default = if field == "id" { NODE_ID } else { NODE_CLUSTER };
            self.named(s, &format!("node.{field}"), default)
        };
        match xds {
            // Envoy's `envoy.config.core.v3.Node`: id is field 1, cluster field 2.
            "node" => {
                let mut node = Vec::new();
                proto_string(&mut node, 1, &node_field("id"));
                proto_string(&mut node, 2, &node_field("cluster"));
                return Some(node);
            }
            "node.id" => return Some(node_field("id")),
            "node.cluster" => return Some(node_field("cluster")),
            // Empty `envoy.config.core.v3.Metadata` messages serialize to no bytes.
            "cluster_metadata"
            | "route_metadata"
            | "listener_metadata"
            | "virtual_host_metadata"
                if connected =>
            {
                return Some(Vec::new());
            }
            "listener_direction" if connected => return Some(int(0)),
            "filter_chain_name" if connected => return Some(Vec::new()),
            _ => {}
        }
        if let Some(v) = s.and_then(|s| self.stream_attribute(s, xds, path)) {
            return Some(v);
        }
        if !connected {
            return None;
        }
        let tcp = self.connections.contains_key(&id);
        let tls = s.and_then(|s| s.tls.as_ref()).or(self.tls.as_ref());
        if let Some(name) = path.strip_prefix("connection.")
            && let Some(value) = tls.and_then(|tls| tls_attribute(tls, name))
        {
            return Some(value);
        }
        match path {
            "source.address" => Some(SOURCE.as_bytes().to_vec()),
            "source.port" => Some(int(SOURCE_PORT)),
            "destination.address" => Some(DESTINATION.as_bytes().to_vec()),
            "destination.port" => Some(int(DESTINATION_PORT)),
            // Plaintext: no peer certificate, no SNI.
            "connection.mtls" => Some(vec![0]),
            "connection.requested_server_name" => Some(Vec::new()),
            "connection.id" | "connection_id" => Some(uint(u64::from(id))),
            "metadata" => Some(Vec::new()),
            // tcp_proxy connects to its upstream as the connection opens.
            "upstream.address" if tcp => Some(UPSTREAM.as_bytes().to_vec()),
            "upstream.port" if tcp => Some(int(UPSTREAM_PORT)),
            "upstream.local_address" if tcp => Some(UPSTREAM_LOCAL.as_bytes().to_vec()),
            _ if xds == "cluster_name" => Some(self.named(s, xds, CLUSTER_NAME)),
            _ => None,
        }
    }

    /// A configuration name, as the scenario gives it under either of its names.
    fn named(&self, s: Option<&Stream>, name: &str, default: &str) -> Vec<u8> {
        (self.set_value(s, &format!("xds.{name}")))
            .or_else(|| self.set_value(s, name))
            .unwrap_or_else(|| default.as_bytes().to_vec())
    }

    /// An attribute only an HTTP stream has.
    fn stream_attribute(&self, s: &Stream, xds: &str, path: &str) -> Option<Vec<u8>> {
        // Envoy derives these from the maps the filter still holds (`Context::findValue`), so
        // a map the plugin let go of counts as none (see `Stream::can_see`).
        let seen = |map: MapType| s.can_see(map, self.logging);
        let request_headers = seen(MapType::HttpRequestHeaders).then_some(&s.request_headers);
        let response_headers = seen(MapType::HttpResponseHeaders).then_some(&s.response_headers);
        let response_trailers = seen(MapType::HttpResponseTrailers).then_some(&s.response_trailers);
        let request = |name: &str| find(request_headers?, name);
        let path_and_query = || request(":path").unwrap_or_default();
        // The status as the stream records it (Envoy's `responseCode`), whatever the plugin holds.
        let response_code = || {
            find(&s.response_headers, ":status")
                .and_then(|v| std::str::from_utf8(&v).ok()?.parse::<u32>().ok())
        };
        let bytes_of = |map: Option<&Pairs>| map.map_or(0, byte_size);
        if let Some(name) = path.strip_prefix("request.headers.") {
            return request(name);
        }
        for (prefix, map) in [
            ("response.headers", response_headers),
            ("response.trailers", response_trailers),
        ] {
            if path == prefix {
                return Some(map.map(|m| pairs::encode(m)).unwrap_or_default());
            }
            if let Some(name) = path.strip_prefix(prefix).and_then(|p| p.strip_prefix('.')) {
                return find(map?, name);
            }
        }
        let upstream = s.upstream;
        let value = match path {
            "request.path" => request(":path")?,
            "request.url_path" => {
                let full = path_and_query();
                full.split(|b| *b == b'?')
                    .next()
                    .unwrap_or_default()
                    .to_vec()
            }
            // Without the fragment, as Envoy.
            "request.query" => {
                let full = path_and_query();
                match full.iter().position(|b| *b == b'?') {
                    Some(at) => full[at + 1..]
                        .split(|b| *b == b'#')
                        .next()
                        .unwrap_or_default()
                        .to_vec(),
                    None => Vec::new(),
                }
            }
            "request.host" => request(":authority").or_else(|| request("host"))?,
            "request.scheme" => request(":scheme")?,
            "request.method" => request(":method")?,
            "request.id" => request("x-request-id")?,
            "request.referer" => request("referer")?,
            "request.useragent" => request("user-agent")?,
            "request.protocol" => b"HTTP/1.1".to_vec(),
            "request.time" => int(i64::try_from(s.started_ns).unwrap_or(i64::MAX)),
            "request.headers" => request_headers
                .map(|m| pairs::encode(m))
                .unwrap_or_default(),
            "request.headers_bytes" => size(bytes_of(request_headers)),
            // The content-length header when there is one (an unparsable one: none), else the
            // body bytes received so far.
            "request.size" => match request("content-length") {
                Some(v) => int(std::str::from_utf8(&v).ok()?.trim().parse::<i64>().ok()?),
                None => int(s.request_bytes),
            },
            "request.total_size" => int(s
                .request_bytes
                .saturating_add(i64::try_from(bytes_of(request_headers)).unwrap_or(i64::MAX))),
            // Set when the stream completes: the access-log phase (`proxy_on_log`).
            "request.duration" if s.phase == Phase::Done => {
                let now = crate::state::EPOCH_NS.saturating_add(self.elapsed_ns);
                int(i64::try_from(now.saturating_sub(s.started_ns)).unwrap_or(i64::MAX))
            }
            // From the first byte sent upstream to the last byte received from it.
            "response.backend_latency" => {
                let (sent, received) = (s.upstream_sent_ns?, s.upstream_received_ns?);
                int(i64::try_from(received.saturating_sub(sent)).unwrap_or(i64::MAX))
            }
            "response.code" => int(i64::from(response_code()?)),
            "response.code_details" => s.code_details.as_deref()?.to_vec(),
            "response.flags" => int(0),
            // Trailers, then headers (trailers-only), then the HTTP status mapped
            // (source/common/grpc/common.cc Common::getGrpcStatus).
            "response.grpc_status" => {
                let explicit = (response_trailers.and_then(|m| find(m, "grpc-status")))
                    .or_else(|| find(response_headers?, "grpc-status"))
                    .and_then(|v| std::str::from_utf8(&v).ok()?.parse::<i64>().ok());
                int(match explicit {
                    Some(status) => status,
                    None => i64::from(http_to_grpc(response_code()?)),
                })
            }
            "response.headers_bytes" => size(bytes_of(response_headers)),
            "response.size" => int(s.response_bytes),
            "response.total_size" => int(s.response_bytes.saturating_add(
                i64::try_from(bytes_of(response_headers) + bytes_of(response_trailers))
                    .unwrap_or(i64::MAX),
            )),
            "upstream.address" if upstream => UPSTREAM.as_bytes().to_vec(),
            "upstream.port" if upstream => int(UPSTREAM_PORT),
            "upstream.local_address" if upstream => UPSTREAM_LOCAL.as_bytes().to_vec(),
            "upstream.transport_failure_reason" if upstream => Vec::new(),
            // The scripted upstream host has no locality: an empty `Locality` message.
            "upstream.locality" if upstream => Vec::new(),
            // The cluster's one scripted endpoint.
            "upstream.num_endpoints" if upstream => uint(1),
            "upstream.request_attempt_count" => uint(u64::from(upstream)),
            _ => match xds {
                "route_name" => self.named(Some(s), xds, ROUTE_NAME),
                "virtual_host_name" => self.named(Some(s), xds, VIRTUAL_HOST_NAME),
                "upstream_host_metadata" | "upstream_host_locality_metadata" if upstream => {
                    Vec::new()
                }
                _ => return None,
            },
        };
        Some(value)
    }
}
