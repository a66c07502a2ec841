//! How to make each host function return each of its status codes: a site (the callback the
//! call runs in, with the scenario that reaches it), set-up calls, and argument values by IR
//! parameter name. Out-parameters default to sentinel slots. The catalog derives everything
//! else (pointer, enum and allocation cases) from the IR and the `ok` recipe.
//!
//! Values that only make sense under one host's conventions say so with [`Recipe::reference`].

/// Where a probe's calls run, and so what the scenario must contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// `proxy_on_configure` of the root context.
    Configure,
    /// `proxy_on_request_headers` of an HTTP stream.
    RequestHeaders,
    /// `proxy_on_request_body` of an HTTP stream.
    RequestBody,
    /// `proxy_on_http_call_response` of the root context, for a call made in
    /// `proxy_on_configure` (see [`http_call_args`]).
    HttpCallResponse,
    /// `proxy_on_response_body` of an HTTP stream.
    ResponseBody,
    /// `proxy_on_vm_start` of the root context, with a VM configuration to read.
    VmStart,
    /// `proxy_on_foreign_function`, called by the host with arguments to read (ABI 0.2.x).
    ForeignFunction,
    /// `proxy_on_downstream_data` of a TCP connection.
    DownstreamData,
    /// `proxy_on_upstream_data` of a TCP connection.
    UpstreamData,
    /// `proxy_on_grpc_receive` of the root context, for a call made in `proxy_on_configure`
    /// (see [`grpc_call_args`]).
    GrpcReceive,
}

impl Site {
    /// Every site.
    pub const ALL: [Site; 10] = [
        Site::Configure,
        Site::RequestHeaders,
        Site::RequestBody,
        Site::HttpCallResponse,
        Site::ResponseBody,
        Site::VmStart,
        Site::ForeignFunction,
        Site::DownstreamData,
        Site::UpstreamData,
        Site::GrpcReceive,
    ];

    /// The callback the recipe's calls run in.
    pub fn callback(self) -> &'static str {
        match self {
            Site::Configure => "proxy_on_configure",
            Site::RequestHeaders => "proxy_on_request_headers",
            Site::RequestBody => "proxy_on_request_body",
            Site::HttpCallResponse => "proxy_on_http_call_response",
            Site::ResponseBody => "proxy_on_response_body",
            Site::VmStart => "proxy_on_vm_start",
            Site::ForeignFunction => "proxy_on_foreign_function",
            Site::DownstreamData => "proxy_on_downstream_data",
            Site::UpstreamData => "proxy_on_upstream_data",
            Site::GrpcReceive => "proxy_on_grpc_receive",
        }
    }

    /// The site that runs in `callback`, if there is one.
    pub fn of_callback(callback: &str) -> Option<Site> {
        Site::ALL.into_iter().find(|s| s.callback() == callback)
    }

    /// Whether a host may call its callback several times for one stream: once per body chunk
    /// or data chunk, the last maybe empty.
    pub fn repeats(self) -> bool {
        matches!(
            self,
            Site::RequestBody | Site::ResponseBody | Site::DownstreamData | Site::UpstreamData
        )
    }

    /// The capability an adapter needs to reach it.
    pub fn needs(self) -> Option<Capability> {
        match self {
            Site::Configure | Site::VmStart => None,
            Site::RequestHeaders | Site::RequestBody | Site::ResponseBody => Some(Capability::Http),
            Site::HttpCallResponse => Some(Capability::HttpCalls),
            Site::ForeignFunction => Some(Capability::ForeignFunctions),
            Site::DownstreamData | Site::UpstreamData => Some(Capability::Tcp),
            Site::GrpcReceive => Some(Capability::Grpc),
        }
    }
}

/// An argument value.
#[derive(Clone, Debug)]
pub enum V {
    /// A number (i32 or i64 by the parameter's wasm type).
    Int(i64),
    /// An enum member by name; the recipe does not apply to versions without it.
    Member(&'static str),
    /// Bytes in guest memory (for input pairs), or a zeroed region of that size for outputs the
    /// host fills.
    Bytes(Vec<u8>),
    /// A zeroed region of this many bytes (for fill buffers and WASI arrays).
    Region(u32),
    /// Text as WASI `iovec_array`: one record pointing at the bytes.
    Iovec(Vec<u8>),
    /// A WASI `iovec_array` of one record with this address and length.
    IovecAt(u32, u32),
    /// The callback's first parameter (the root or stream context id).
    Context,
    /// What set-up call `n` wrote to its out-parameter of this name.
    From(usize, &'static str),
    /// `memory.size * 64 KiB + offset` at run time.
    MemEnd(i32),
}

/// A host call with its argument values.
#[derive(Clone, Debug)]
pub struct Call {
    /// The function, by IR name.
    pub function: &'static str,
    /// Values by parameter name; unnamed values are 0, unnamed inputs empty.
    pub args: Vec<(&'static str, V)>,
}

/// What a successful call must have written.
#[derive(Clone, Debug)]
pub enum Out {
    /// The buffer behind an allocated pair or a fill buffer holds these bytes.
    Bytes(Vec<u8>),
    /// The out value is this number.
    Number(u64),
    /// The allocated result is not empty (its bytes vary by host and are not checked), so the
    /// allocator must be called.
    Allocated,
}

/// A call made after a successful call under test, to see its effect: it must return `code`
/// (skipped in versions whose function lacks that code).
#[derive(Clone, Debug)]
pub struct Then {
    /// The call.
    pub call: Call,
    /// The status it must return.
    pub code: &'static str,
    /// What the effect is, in our words.
    pub effect: &'static str,
}

/// One way to reach a status.
#[derive(Clone, Debug)]
pub struct Recipe {
    /// Where the calls run.
    pub site: Site,
    /// Calls made first; their statuses are not checked.
    pub setup: Vec<Call>,
    /// The call under test.
    pub call: Call,
    /// Outputs checked when the expected status is success.
    pub outputs: Vec<(&'static str, Out)>,
    /// Calls that show the effect of a success.
    pub then: Vec<Then>,
    /// Capabilities a host needs for it (beyond the site's own).
    pub needs: Vec<Capability>,
    /// Set when the recipe relies on one host's behaviour rather than the spec text.
    pub reference: Option<&'static str>,
}

fn call(function: &'static str, args: Vec<(&'static str, V)>) -> Call {
    Call { function, args }
}

fn b(text: &str) -> V {
    V::Bytes(text.as_bytes().to_vec())
}

/// The plugin configuration every probe scenario carries.
pub const PLUGIN_CONFIGURATION: &str = "probe-config";
/// The VM configuration of a [`Site::VmStart`] scenario.
pub const VM_CONFIGURATION: &str = "probe-vm-config";
/// The upstream HTTP calls go to.
pub const UPSTREAM: &str = "pwtck-upstream";
/// The gRPC upstream.
pub const GRPC_UPSTREAM: &str = "pwtck-grpc";
/// The foreign function the scenario provides, and what it returns.
pub const FOREIGN_FUNCTION: (&str, &str) = ("pwtck_echo", "echoed");
/// The request path of the probe stream.
pub const PATH: &str = "/probe";
/// The request body of the probe stream.
pub const BODY: &str = "hello probe";

/// A number no host hands out as an id in a short-lived probe.
const UNKNOWN_ID: i64 = 0x7fff_fff0;

struct R {
    site: Site,
    setup: Vec<Call>,
    args: Vec<(&'static str, V)>,
    outputs: Vec<(&'static str, Out)>,
    then: Vec<Then>,
    needs: Vec<Capability>,
    reference: Option<&'static str>,
}

fn at(site: Site, args: Vec<(&'static str, V)>) -> R {
    R {
        site,
        setup: Vec::new(),
        args,
        outputs: Vec::new(),
        then: Vec::new(),
        needs: Vec::new(),
        reference: None,
    }
}

impl R {
    fn after(mut self, setup: Vec<Call>) -> Self {
        self.setup = setup;
        self
    }
    fn out(mut self, name: &'static str, out: Out) -> Self {
        self.outputs.push((name, out));
        self
    }
    fn then(mut self, call: Call, code: &'static str, effect: &'static str) -> Self {
        self.then.push(Then { call, code, effect });
        self
    }
    fn needs(mut self, what: Capability) -> Self {
        self.needs.push(what);
        self
    }
    fn reference(mut self, why: &'static str) -> Self {
        self.reference = Some(why);
        self
    }
    fn done(self, function: &'static str) -> Recipe {
        Recipe {
            site: self.site,
            setup: self.setup,
            call: call(function, self.args),
            outputs: self.outputs,
            then: self.then,
            needs: self.needs,
            reference: self.reference,
        }
    }
}

use Site::{Configure, HttpCallResponse, RequestBody, RequestHeaders};
use proxy_wasm_interchange::pairs;
use proxy_wasm_interchange::protocol::Capability;

fn request_headers() -> V {
    V::Bytes(pairs::encode(&[
        (":method", "GET"),
        (":path", "/call"),
        (":authority", UPSTREAM),
    ]))
}

/// The arguments of the HTTP call whose response a [`Site::HttpCallResponse`] recipe runs in.
pub fn http_call_args() -> Vec<(&'static str, V)> {
    vec![
        ("upstream_name", b(UPSTREAM)),
        ("serialized_headers", request_headers()),
        ("timeout", V::Int(1000)),
    ]
}

/// The arguments of the gRPC call whose message a [`Site::GrpcReceive`] recipe reads.
pub fn grpc_call_args() -> Vec<(&'static str, V)> {
    grpc(true, GRPC_UPSTREAM)
}

fn grpc(message: bool, upstream: &str) -> Vec<(&'static str, V)> {
    let mut args = vec![
        ("upstream_name", b(upstream)),
        ("service_name", b("pwtck.Probe")),
        ("method_name", b("Call")),
        ("timeout", V::Int(1000)),
    ];
    if message {
        args.push(("message", b("ping")));
    }
    args
}

/// The recipes for `function` returning `code`, in order of preference (the first whose enum
/// members exist in the version applies). `nth` tells apart cases of the same code (0 = first).
pub fn recipes(function: &str, code: &str, nth: usize) -> Vec<Recipe> {
    let f: &'static str = match FUNCTIONS.iter().find(|n| **n == function) {
        Some(name) => name,
        None => return Vec::new(),
    };
    let q = || {
        vec![call(
            "proxy_register_shared_queue",
            vec![("name", b("pwtck-q"))],
        )]
    };
    let metric = |kind: &'static str| {
        vec![call(
            "proxy_define_metric",
            vec![
                ("metric_type", V::Member(kind)),
                ("name", b("pwtck_metric")),
            ],
        )]
    };
    let metric_id = || ("metric_id", V::From(0, "return_metric_id"));
    let grpc_call = || vec![call("proxy_grpc_call", grpc(true, GRPC_UPSTREAM))];
    let grpc_stream = || vec![call("proxy_grpc_stream", grpc(false, GRPC_UPSTREAM))];
    let cancelled = |open: Vec<Call>, id: &'static str| {
        let mut calls = open;
        calls.push(call(
            "proxy_grpc_cancel",
            vec![("call_or_stream_id", V::From(0, id))],
        ));
        calls
    };
    let map = |m: &'static str, key: &str| vec![("map_id", V::Member(m)), ("key", b(key))];
    let config = || {
        vec![
            ("buffer_id", V::Member("plugin_configuration")),
            ("max_size", V::Int(64)),
        ]
    };
    let recipe: Vec<R> = match (f, code, nth) {
        ("proxy_log", "ok", 0) => vec![at(
            Configure,
            vec![
                ("log_level", V::Member("info")),
                ("message", b("pwtck probe")),
            ],
        )],
        ("proxy_get_log_level" | "proxy_get_current_time_nanoseconds", "ok", 0) => {
            vec![at(Configure, vec![])]
        }
        ("proxy_set_tick_period_milliseconds", "ok", 0) => {
            vec![at(Configure, vec![("tick_period", V::Int(0))])]
        }
        ("proxy_done", "not_found", 0) => vec![at(Configure, vec![])],
        ("proxy_set_effective_context", "ok", 0) => {
            vec![at(Configure, vec![("context_id", V::Context)])]
        }
        ("proxy_set_effective_context", "bad_argument", 0) => {
            vec![at(Configure, vec![("context_id", V::Int(UNKNOWN_ID))])]
        }
        ("proxy_get_configuration", "ok", 0) => vec![
            at(Configure, vec![]).out("return_value_data", Out::Bytes(PLUGIN_CONFIGURATION.into())),
        ],
        ("proxy_get_buffer_bytes", "ok", 0) => vec![
            at(Configure, config())
                .out("return_value_data", Out::Bytes(PLUGIN_CONFIGURATION.into())),
            at(
                RequestBody,
                vec![
                    ("buffer_id", V::Member("http_request_body")),
                    ("max_size", V::Int(64)),
                ],
            )
            .out("return_value_data", Out::Bytes(BODY.into())),
        ],
        ("proxy_get_buffer_bytes", "ok", 1) => vec![
            at(
                RequestBody,
                vec![
                    ("buffer_id", V::Member("http_request_body")),
                    // At the end, not past it: the spec calls a start past the end invalid.
                    ("start", V::Int(BODY.len() as i64)),
                    ("max_size", V::Int(10)),
                ],
            )
            .out("return_value_data", Out::Bytes(Vec::new()))
            .out("return_value_size", Out::Number(0))
            .reference("cpp-host writes pointer 0 and size 0 when nothing is in range"),
        ],
        ("proxy_get_buffer_bytes", "bad_argument", 1) => vec![at(
            RequestBody,
            vec![
                ("buffer_id", V::Member("http_request_body")),
                ("start", V::Int(1)),
                ("max_size", V::Int(0xffff_ffff)),
            ],
        )],
        ("proxy_get_buffer_bytes" | "proxy_get_buffer_status", "not_found", 0) => vec![at(
            Configure,
            vec![
                ("buffer_id", V::Member("http_request_body")),
                ("max_size", V::Int(8)),
            ],
        )],
        ("proxy_set_buffer_bytes", "ok", 0) => vec![at(
            RequestBody,
            vec![
                ("buffer_id", V::Member("http_request_body")),
                ("value", b(">")),
            ],
        )],
        ("proxy_set_buffer_bytes", "not_found", 0) => vec![at(
            Configure,
            vec![
                ("buffer_id", V::Member("http_request_body")),
                ("value", b(">")),
            ],
        )],
        ("proxy_set_buffer_bytes", "bad_argument", 1) => vec![
            at(
                Configure,
                vec![
                    ("buffer_id", V::Member("plugin_configuration")),
                    ("value", b(">")),
                ],
            )
            .reference("Envoy refuses to change the configuration buffers"),
        ],
        ("proxy_get_buffer_status", "ok", 0) => vec![
            at(
                Configure,
                vec![("buffer_id", V::Member("plugin_configuration"))],
            )
            .out(
                "return_buffer_size",
                Out::Number(PLUGIN_CONFIGURATION.len() as u64),
            ),
            at(
                RequestBody,
                vec![("buffer_id", V::Member("http_request_body"))],
            )
            .out("return_buffer_size", Out::Number(BODY.len() as u64)),
        ],
        ("proxy_get_header_map_size", "ok", 0) => vec![at(
            RequestHeaders,
            vec![("map_id", V::Member("http_request_headers"))],
        )],
        ("proxy_get_header_map_pairs", "ok", 0) => vec![
            at(
                RequestHeaders,
                vec![("map_id", V::Member("http_request_headers"))],
            )
            .out("return_serialized_pairs_data", Out::Allocated),
        ],
        ("proxy_get_header_map_size", "bad_argument", 1) => vec![
            at(
                Configure,
                vec![("map_id", V::Member("http_request_headers"))],
            )
            .reference("Envoy: a map the current callback does not have"),
        ],
        ("proxy_get_header_map_pairs", "ok", 1) => vec![
            at(
                Configure,
                vec![("map_id", V::Member("http_request_headers"))],
            )
            .out("return_serialized_pairs_data", Out::Bytes(Vec::new()))
            .out("return_serialized_pairs_size", Out::Number(0))
            .reference("cpp-host writes pointer 0 and size 0 for a map it does not have"),
        ],
        ("proxy_set_header_map_pairs", "ok", 0) => vec![at(
            RequestHeaders,
            vec![
                ("map_id", V::Member("http_request_headers")),
                (
                    "serialized_pairs",
                    V::Bytes(pairs::encode(&[
                        (":method", "GET"),
                        (":path", PATH),
                        (":authority", "example.com"),
                        ("x-pwtck", "set"),
                    ])),
                ),
            ],
        )],
        ("proxy_get_header_map_value", "ok", 0) => vec![
            at(RequestHeaders, map("http_request_headers", ":path"))
                .out("return_value_data", Out::Bytes(PATH.into())),
        ],
        ("proxy_get_header_map_value", "ok", 1) => vec![
            at(
                RequestHeaders,
                map("http_request_headers", "x-pwtck-absent"),
            )
            .out("return_value_data", Out::Bytes(Vec::new()))
            .reference("0.1.0 hosts answer a missing key with an empty value"),
        ],
        ("proxy_get_header_map_value", "not_found", 0) => {
            vec![at(
                RequestHeaders,
                map("http_request_headers", "x-pwtck-absent"),
            )]
        }
        (
            "proxy_set_header_map_pairs"
            | "proxy_get_header_map_value"
            | "proxy_add_header_map_value"
            | "proxy_replace_header_map_value"
            | "proxy_remove_header_map_value",
            "bad_argument",
            1,
        ) => vec![
            at(Configure, {
                let mut args = map("http_request_headers", "x-pwtck");
                args.push(("value", b("1")));
                args
            })
            .reference("Envoy: a map the current callback does not have"),
        ],
        ("proxy_add_header_map_value" | "proxy_replace_header_map_value", "ok", 0) => {
            vec![at(RequestHeaders, {
                let mut args = map("http_request_headers", "x-pwtck");
                args.push(("value", b("1")));
                args
            })]
        }
        ("proxy_remove_header_map_value", "ok", 0) => vec![
            at(RequestHeaders, map("http_request_headers", "x-pwtck")).then(
                call(
                    "proxy_get_header_map_value",
                    map("http_request_headers", "x-pwtck"),
                ),
                "not_found",
                "the removed key is gone from the map",
            ),
        ],
        ("proxy_continue_stream" | "proxy_close_stream", "ok", 0) => vec![at(
            RequestHeaders,
            vec![("stream_type", V::Member("http_request"))],
        )],
        ("proxy_continue_stream", "unimplemented", 0) => vec![
            at(RequestHeaders, vec![("stream_type", V::Member("upstream"))]).reference(
                "Envoy source/extensions/common/wasm/context.cc Context::continueStream \
                     (Upstream: Unimplemented)",
            ),
        ],
        (
            "proxy_continue_request" | "proxy_continue_response" | "proxy_clear_route_cache",
            "ok",
            0,
        ) => {
            vec![at(RequestHeaders, vec![])]
        }
        ("proxy_get_status", "ok", 0) => vec![at(HttpCallResponse, vec![])],
        ("proxy_get_status", "ok", 1) => vec![at(Configure, vec![])],
        ("proxy_send_local_response", "ok", 0) => vec![at(
            RequestHeaders,
            vec![
                ("status_code", V::Int(403)),
                ("status_code_details", b("pwtck")),
                ("body", b("denied")),
                ("grpc_status", V::Int(-1)),
            ],
        )],
        ("proxy_http_call", "ok", 0) => vec![
            at(
                Configure,
                vec![
                    ("upstream_name", b(UPSTREAM)),
                    ("serialized_headers", request_headers()),
                    ("timeout", V::Int(1000)),
                ],
            )
            .needs(Capability::HttpCalls),
        ],
        ("proxy_http_call", "bad_argument", 0) => vec![at(
            Configure,
            vec![
                ("upstream_name", b("pwtck-no-such-upstream")),
                ("serialized_headers", request_headers()),
                ("timeout", V::Int(1000)),
            ],
        )],
        ("proxy_http_call", "bad_argument", 1) => vec![
            at(
                Configure,
                vec![
                    ("upstream_name", b(UPSTREAM)),
                    ("serialized_headers", request_headers()),
                    ("timeout", V::Int(0x8000_0000)),
                ],
            )
            .needs(Capability::HttpCalls)
            .reference("Envoy reads the timeout as a signed number"),
        ],
        ("proxy_grpc_call" | "proxy_grpc_stream", "ok", 0) => {
            vec![at(Configure, grpc(f == "proxy_grpc_call", GRPC_UPSTREAM)).needs(Capability::Grpc)]
        }
        ("proxy_grpc_call" | "proxy_grpc_stream", "parse_failure", 0) => vec![at(
            Configure,
            grpc(f == "proxy_grpc_call", "pwtck-no-such-upstream"),
        )],
        ("proxy_grpc_send", "ok", 0) => vec![
            at(
                Configure,
                vec![
                    ("stream_id", V::From(0, "return_stream_id")),
                    ("message", b("ping")),
                ],
            )
            .after(grpc_stream())
            .needs(Capability::Grpc),
        ],
        ("proxy_grpc_send", "bad_argument", 0) => vec![
            at(
                Configure,
                vec![
                    ("stream_id", V::From(0, "return_call_id")),
                    ("message", b("ping")),
                ],
            )
            .after(grpc_call())
            .needs(Capability::Grpc),
        ],
        ("proxy_grpc_send", "not_found", 0) => vec![
            at(
                Configure,
                vec![
                    ("stream_id", V::From(0, "return_stream_id")),
                    ("message", b("ping")),
                ],
            )
            .after(cancelled(grpc_stream(), "return_stream_id"))
            .needs(Capability::Grpc),
        ],
        ("proxy_grpc_cancel" | "proxy_grpc_close", "ok", 0) => vec![
            at(
                Configure,
                vec![("call_or_stream_id", V::From(0, "return_call_id"))],
            )
            .after(grpc_call())
            .needs(Capability::Grpc),
        ],
        ("proxy_grpc_cancel" | "proxy_grpc_close", "not_found", 0) => vec![
            at(
                Configure,
                vec![("call_or_stream_id", V::From(0, "return_call_id"))],
            )
            .after(cancelled(grpc_call(), "return_call_id"))
            .needs(Capability::Grpc),
        ],
        ("proxy_set_shared_data", "ok", 0) => vec![at(
            Configure,
            vec![("key", b("pwtck-key")), ("value", b("v"))],
        )],
        ("proxy_set_shared_data", "cas_mismatch", 0) => vec![
            at(
                Configure,
                vec![
                    ("key", b("pwtck-key")),
                    ("value", b("w")),
                    ("cas", V::Int(UNKNOWN_ID)),
                ],
            )
            .after(vec![call(
                "proxy_set_shared_data",
                vec![("key", b("pwtck-key")), ("value", b("v"))],
            )]),
        ],
        ("proxy_get_shared_data", "ok", 0) => vec![
            at(Configure, vec![("key", b("pwtck-get"))])
                .after(vec![call(
                    "proxy_set_shared_data",
                    vec![("key", b("pwtck-get")), ("value", b("stored"))],
                )])
                .out("return_value_data", Out::Bytes(b"stored".to_vec())),
        ],
        ("proxy_get_shared_data", "not_found", 0) => {
            vec![at(Configure, vec![("key", b("pwtck-absent"))])]
        }
        ("proxy_register_shared_queue", "ok", 0) => {
            vec![at(Configure, vec![("name", b("pwtck-q"))])]
        }
        ("proxy_resolve_shared_queue", "ok", 0) => {
            vec![at(Configure, vec![("name", b("pwtck-q"))]).after(q())]
        }
        ("proxy_resolve_shared_queue", "not_found", 0) => {
            vec![at(Configure, vec![("name", b("pwtck-no-such-queue"))])]
        }
        ("proxy_enqueue_shared_queue", "ok", 0) => vec![
            at(
                Configure,
                vec![
                    ("queue_id", V::From(0, "return_queue_id")),
                    ("value", b("item")),
                ],
            )
            .after(q()),
        ],
        ("proxy_enqueue_shared_queue" | "proxy_dequeue_shared_queue", "not_found", 0) => vec![at(
            Configure,
            vec![("queue_id", V::Int(UNKNOWN_ID)), ("value", b("item"))],
        )],
        ("proxy_dequeue_shared_queue", "ok", 0) => vec![
            at(Configure, vec![("queue_id", V::From(0, "return_queue_id"))])
                .after(vec![
                    call("proxy_register_shared_queue", vec![("name", b("pwtck-q"))]),
                    call(
                        "proxy_enqueue_shared_queue",
                        vec![
                            ("queue_id", V::From(0, "return_queue_id")),
                            ("value", b("item")),
                        ],
                    ),
                ])
                .out("return_value_data", Out::Bytes(b"item".to_vec())),
        ],
        ("proxy_dequeue_shared_queue", "empty", 0) => vec![
            at(Configure, vec![("queue_id", V::From(0, "return_queue_id"))]).after(vec![call(
                "proxy_register_shared_queue",
                vec![("name", b("pwtck-empty"))],
            )]),
        ],
        ("proxy_define_metric", "ok", 0) => vec![at(
            Configure,
            vec![
                ("metric_type", V::Member("counter")),
                ("name", b("pwtck_metric")),
            ],
        )],
        ("proxy_record_metric", "ok", 0) => {
            vec![at(Configure, vec![metric_id(), ("value", V::Int(5))]).after(metric("gauge"))]
        }
        ("proxy_increment_metric", "ok", 0) => {
            vec![at(Configure, vec![metric_id(), ("delta", V::Int(1))]).after(metric("counter"))]
        }
        ("proxy_increment_metric", "bad_argument", 0) => {
            vec![at(Configure, vec![metric_id(), ("delta", V::Int(-1))]).after(metric("counter"))]
        }
        ("proxy_increment_metric", "bad_argument", 1) => vec![
            at(Configure, vec![metric_id(), ("delta", V::Int(1))])
                .after(metric("histogram"))
                .reference("Envoy cannot increment a histogram"),
        ],
        ("proxy_get_metric", "ok", 0) => {
            vec![at(Configure, vec![metric_id()]).after(metric("counter"))]
        }
        ("proxy_get_metric", "bad_argument", 0) => vec![
            at(Configure, vec![metric_id()])
                .after(metric("histogram"))
                .reference("Envoy cannot read a histogram"),
        ],
        ("proxy_record_metric" | "proxy_increment_metric" | "proxy_get_metric", "not_found", 0) => {
            vec![at(
                Configure,
                vec![
                    ("metric_id", V::Int(UNKNOWN_ID)),
                    ("value", V::Int(1)),
                    ("delta", V::Int(1)),
                ],
            )]
        }
        ("proxy_get_property", "ok", 0) => vec![
            at(RequestHeaders, vec![("path", b("request\0path"))])
                .out("return_value_data", Out::Bytes(PATH.into())),
        ],
        ("proxy_get_property", "not_found", 0) => {
            vec![at(Configure, vec![("path", b("pwtck\0absent"))])]
        }
        // The spec gives NOT_FOUND for a path with no property; Envoy keeps a new one.
        ("proxy_set_property", "ok", 0) => vec![
            at(
                RequestHeaders,
                vec![("path", b("pwtck\0prop")), ("value", b("v"))],
            )
            .reference(
                "Envoy source/extensions/common/wasm/context.cc Context::setProperty (a new \
                 path is kept as filter state)",
            ),
        ],
        ("proxy_call_foreign_function", "ok", 0) => vec![
            at(
                Configure,
                vec![("name", b(FOREIGN_FUNCTION.0)), ("arguments", b("x"))],
            )
            .out("return_results_data", Out::Bytes(FOREIGN_FUNCTION.1.into()))
            .needs(Capability::ForeignFunctions),
        ],
        ("proxy_call_foreign_function", "not_found", 0) => {
            vec![at(Configure, vec![("name", b("pwtck-no-such-function"))])]
        }
        ("fd_write", "success", 0) => vec![
            at(
                Configure,
                vec![
                    ("fd_id", V::Member("stdout")),
                    ("iovec", V::Iovec(b"pwtck fd_write\n".to_vec())),
                ],
            )
            .out("return_written_bytes", Out::Number(15)),
        ],
        ("fd_write", "fault", 1) => vec![at(
            Configure,
            vec![
                ("fd_id", V::Member("stdout")),
                ("iovec", V::IovecAt(0xffff_fff0, 16)),
            ],
        )],
        ("clock_time_get", "success", 0) => {
            vec![at(Configure, vec![("clock_id", V::Member("realtime"))])]
        }
        ("random_get", "success", 0) => vec![at(
            Configure,
            vec![("buffer", V::Region(16)), ("buffer_size", V::Int(16))],
        )],
        ("random_get", "inval", 0) => vec![
            at(
                Configure,
                vec![
                    ("buffer", V::MemEnd(-70000)),
                    ("buffer_size", V::Int(65537)),
                ],
            )
            .reference(
                "proxy-wasm-cpp-host src/exports.cc wasi_unstable_random_get (at most \
                 PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES, 64 KiB)",
            ),
        ],
        ("environ_sizes_get" | "args_sizes_get", "success", 0) => vec![at(Configure, vec![])],
        ("environ_get", "success", 0) => vec![at(
            Configure,
            vec![
                ("return_array", V::Region(256)),
                ("return_buffer", V::Region(4096)),
            ],
        )],
        ("args_get", "success", 0) => vec![at(
            Configure,
            vec![
                ("return_argv", V::Region(256)),
                ("return_argv_size", V::Region(4096)),
            ],
        )],
        ("poll_oneoff", "success", 0) => vec![
            at(
                Configure,
                vec![
                    ("subscriptions", V::Region(48)),
                    ("events", V::Region(32)),
                    ("nsubscriptions", V::Int(1)),
                ],
            )
            .out("return_nevents", Out::Number(0)),
        ],
        ("sched_yield", "success", 0) => vec![at(Configure, vec![])],
        // The rest of WASI preview 1 as a host without files or sockets answers it.
        ("fd_seek" | "fd_close" | "fd_advise", "success", 0)
        | ("fd_fdstat_set_flags", "nosys", 0) => vec![at(Configure, vec![("fd", V::Int(1))])],
        (
            "fd_fdstat_set_rights"
            | "fd_allocate"
            | "fd_datasync"
            | "fd_filestat_set_size"
            | "fd_filestat_set_times"
            | "fd_sync",
            "success",
            0,
        ) => vec![at(Configure, vec![("fd", V::Member("stdout"))])],
        ("fd_fdstat_get", "success", 0) => vec![at(
            Configure,
            vec![("fd", V::Member("stdout")), ("return_stat", V::Region(24))],
        )],
        ("clock_res_get", "success", 0) => vec![
            at(Configure, vec![("clock_id", V::Member("realtime"))])
                .out("return_resolution", Out::Number(1)),
        ],
        ("fd_pwrite", "success", 0) => vec![
            at(
                Configure,
                vec![
                    ("fd", V::Member("stdout")),
                    ("iovs", V::Iovec(b"pwtck fd_pwrite\n".to_vec())),
                ],
            )
            .out("return_written_bytes", Out::Number(16)),
        ],
        ("fd_tell", "success", 0) => vec![
            at(Configure, vec![("fd", V::Member("stdout"))]).out("return_offset", Out::Number(0)),
        ],
        ("fd_renumber", "notsup", 0) => {
            vec![at(Configure, vec![("fd", V::Int(1)), ("to", V::Int(2))])]
        }
        ("fd_renumber", "badf", 0) => {
            vec![at(Configure, vec![("fd", V::Int(1)), ("to", V::Int(3))])]
        }
        ("fd_prestat_get" | "fd_filestat_get", "badf", 0) | ("fd_prestat_dir_name", "nosys", 0) => {
            vec![at(Configure, vec![("fd", V::Int(3))])]
        }
        ("fd_read" | "fd_pread", "nosys", 0)
        | ("fd_readdir", "notdir", 0)
        | ("path_open", "noent", 0)
        | (
            "path_create_directory"
            | "path_filestat_set_times"
            | "path_link"
            | "path_readlink"
            | "path_remove_directory"
            | "path_rename"
            | "path_symlink"
            | "path_unlink_file"
            | "path_filestat_get"
            | "sock_accept"
            | "sock_recv"
            | "sock_send"
            | "sock_shutdown",
            "notsup",
            0,
        ) => vec![at(Configure, vec![])],
        _ => Vec::new(),
    };
    recipe.into_iter().map(|r| r.done(f)).collect()
}

/// Status cases no probe can bring about, with the reason.
pub fn exception(function: &str, code: &str, condition: &str) -> Option<&'static str> {
    if condition.contains("has not granted") {
        return Some("needs a host configured to deny the plugin this capability");
    }
    Some(match (function, code) {
        ("proxy_get_status", "invalid_memory_access") if condition.contains("allocator") => {
            "the status message is empty (nothing to allocate) until a call fails, and no probe \
             site runs after a failed call yet"
        }
        ("proxy_done", "ok") => {
            "needs a root context whose proxy_on_done returned false and a later callback to \
             call proxy_done from; hosts deliver none after shutdown"
        }
        (_, "internal_failure") => {
            "needs a host-side failure (dispatch, protobuf) no probe can cause"
        }
        ("proxy_get_property", "serialization_failure") => {
            "no property is known to fail encoding on every host"
        }
        ("proxy_set_buffer_bytes", "bad_argument") if condition.contains("read-only") => {
            "where no buffer type is read-only (ABI 0.1.0) only Envoy's refusal of a `start` \
             inside the buffer is left, and the reference host splices there instead"
        }
        ("proxy_grpc_call" | "proxy_grpc_stream", "bad_argument") => {
            "Envoy answers BAD_ARGUMENT only when it cannot make a client for the service \
             (source/extensions/common/wasm/context.cc Context::grpcCall, \
             getOrCreateRawAsyncClient), which depends on cluster configuration a probe cannot \
             set; malformed metadata is dropped silently (proxy-wasm-cpp-host \
             src/pairs_util.cc PairsUtil::toPairs)"
        }
        ("proxy_grpc_cancel" | "proxy_grpc_close", "bad_argument") => {
            "the spec does not say which ids are invalid rather than unknown, and Envoy has \
             none: odd tokens are calls and even ones streams (source/extensions/common/wasm/\
             context.h isGrpcCallToken, isGrpcStreamToken)"
        }
        ("args_get", "success") if condition.contains("whatever the pointers") => {
            "the reference host's generated glue refuses out-of-bounds out-pointers before any \
             function runs, so it answers FAULT where proxy-wasm-cpp-host answers success; \
             no spec sentence covers pointers that nothing is written to"
        }
        ("proxy_set_property", "not_found" | "bad_argument") => {
            "hosts accept new paths (Envoy keeps them as filter state); which paths or values they refuse is host-specific"
        }
        _ => return None,
    })
}

/// Why a function's failing-allocator case is not probed, if it is not.
pub fn allocator_exception(function: &str) -> Option<&'static str> {
    match function {
        "proxy_call_foreign_function" => Some(
            "proxy-wasm-cpp-host src/exports.cc call_foreign_function writes the results \
             through the allocator without failing when it returns 0, and the spec is silent",
        ),
        _ => None,
    }
}

/// Every function a recipe names, so `recipes` can hand out `'static` names.
const FUNCTIONS: &[&str] = &[
    "proxy_log",
    "proxy_get_log_level",
    "proxy_get_current_time_nanoseconds",
    "proxy_set_tick_period_milliseconds",
    "proxy_done",
    "proxy_set_effective_context",
    "proxy_get_configuration",
    "proxy_get_buffer_bytes",
    "proxy_set_buffer_bytes",
    "proxy_get_buffer_status",
    "proxy_get_header_map_size",
    "proxy_get_header_map_pairs",
    "proxy_set_header_map_pairs",
    "proxy_get_header_map_value",
    "proxy_add_header_map_value",
    "proxy_replace_header_map_value",
    "proxy_remove_header_map_value",
    "proxy_continue_stream",
    "proxy_close_stream",
    "proxy_continue_request",
    "proxy_continue_response",
    "proxy_clear_route_cache",
    "proxy_get_status",
    "proxy_send_local_response",
    "proxy_http_call",
    "proxy_grpc_call",
    "proxy_grpc_stream",
    "proxy_grpc_send",
    "proxy_grpc_cancel",
    "proxy_grpc_close",
    "proxy_set_shared_data",
    "proxy_get_shared_data",
    "proxy_register_shared_queue",
    "proxy_resolve_shared_queue",
    "proxy_enqueue_shared_queue",
    "proxy_dequeue_shared_queue",
    "proxy_define_metric",
    "proxy_record_metric",
    "proxy_increment_metric",
    "proxy_get_metric",
    "proxy_get_property",
    "proxy_set_property",
    "proxy_call_foreign_function",
    "fd_write",
    "clock_time_get",
    "random_get",
    "environ_sizes_get",
    "environ_get",
    "args_sizes_get",
    "args_get",
    "poll_oneoff",
    "sched_yield",
    "fd_read",
    "fd_seek",
    "fd_close",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "clock_res_get",
    "fd_advise",
    "fd_allocate",
    "fd_datasync",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_pwrite",
    "fd_readdir",
    "fd_renumber",
    "fd_sync",
    "fd_tell",
    "path_create_directory",
    "path_filestat_set_times",
    "path_link",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
    "path_open",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "path_filestat_get",
    "fd_filestat_get",
];
