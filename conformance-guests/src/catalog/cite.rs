//! The bases of the catalog's checks: spec sentences the IR cites for statuses and functions,
//! the sentences hand-written cases rest on, and the host code reference checks follow.
//! `tests/citations.rs` checks every citation against the published spec texts.

use crate::Basis;
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::RELEASED;
use proxy_wasm_spec::ir::{Citation, Function, Level as IrLevel, StatusCase};

/// A sentence of the spec text, at the same heading in every version.
pub(super) struct Sentence {
    /// The heading it stands under.
    section: &'static str,
    /// Its line in the 0.1.0, 0.2.0 and 0.2.1 texts (see [`RELEASED`]).
    lines: [u32; 3],
    /// What it requires of a host, in our words.
    requires: &'static str,
}

impl Sentence {
    /// The basis of a check this sentence requires, in `version`.
    pub(super) fn basis(&self, version: &str) -> Basis {
        let line = RELEASED
            .iter()
            .position(|v| *v == version)
            .and_then(|i| self.lines.get(i).copied())
            .unwrap_or(0);
        Basis::required(
            Citation {
                version: version.to_string(),
                section: self.section.to_string(),
                line,
            },
            self.requires,
        )
    }
}

/// Callbacks are optional: a host calls only those the module exports.
pub(super) const CALLBACKS_OPTIONAL: Sentence = Sentence {
    section: "Callbacks exposed by the Wasm module",
    lines: [33, 33, 33],
    requires: "every proxy_on_* callback is optional: a module without it loads and runs",
};
/// Every callback but the integration and memory ones gets its context id first.
pub(super) const CONTEXT_ID_FIRST: Sentence = Sentence {
    section: "Callbacks exposed by the Wasm module",
    lines: [38, 38, 38],
    requires: "a callback's first parameter is the id of the context it concerns",
};
/// A host provides every function of its version.
pub(super) const HOST_FUNCTIONS_REQUIRED: Sentence = Sentence {
    section: "Functions exposed by the host",
    lines: [44, 44, 44],
    requires: "a host provides every host function of the version",
};
/// The allocator hands out the memory results are written to.
pub(super) const ALLOCATOR: Sentence = Sentence {
    section: "proxy_on_memory_allocate",
    lines: [117, 117, 117],
    requires: "the host obtains memory for results from the plugin's allocator",
};
/// `malloc` is called only without `proxy_on_memory_allocate`.
pub(super) const MALLOC_ONLY_IN_ABSENCE: Sentence = Sentence {
    section: "malloc",
    lines: [135, 135, 135],
    requires: "malloc is called only when proxy_on_memory_allocate is not exported",
};
/// `_initialize` runs when the module is loaded.
pub(super) const INITIALIZE: Sentence = Sentence {
    section: "_initialize",
    lines: [76, 76, 76],
    requires: "_initialize is called when the module is loaded",
};
/// `main` runs after `_initialize`.
pub(super) const MAIN_AFTER_INITIALIZE: Sentence = Sentence {
    section: "main",
    lines: [90, 90, 90],
    requires: "main is called when the module is loaded, after _initialize",
};
/// `_start` runs only without `_initialize`.
pub(super) const START_WITHOUT_INITIALIZE: Sentence = Sentence {
    section: "_start",
    lines: [101, 101, 101],
    requires: "_start is called (only) when _initialize is not exported",
};
/// A parent id of 0 makes a plugin (root) context; otherwise it names the plugin context.
pub(super) const CONTEXT_PARENT: Sentence = Sentence {
    section: "proxy_on_context_create",
    lines: [160, 160, 160],
    requires: "a plugin context is created with parent 0; a stream context's parent is its \
               plugin context",
};
/// A new context gets a new id.
pub(super) const CONTEXT_CREATE: Sentence = Sentence {
    section: "proxy_on_context_create",
    lines: [158, 158, 158],
    requires: "proxy_on_context_create announces a new context id",
};
/// `proxy_on_vm_start` carries the VM configuration's size.
pub(super) const VM_CONFIGURATION_SIZE: Sentence = Sentence {
    section: "proxy_on_vm_start",
    lines: [262, 262, 262],
    requires: "vm_configuration_size is the size of the VM configuration",
};
/// `proxy_on_configure` carries the plugin configuration's size.
pub(super) const PLUGIN_CONFIGURATION_SIZE: Sentence = Sentence {
    section: "proxy_on_configure",
    lines: [281, 281, 281],
    requires: "plugin_configuration_size is the size of the plugin configuration",
};
/// `proxy_on_done` is called when the host is done with a context.
pub(super) const ON_DONE: Sentence = Sentence {
    section: "proxy_on_done",
    lines: [172, 172, 172],
    requires: "proxy_on_done is called when the host is done processing the context",
};
/// `proxy_on_log` comes after `proxy_on_done` returned true.
pub(super) const LOG_AFTER_DONE: Sentence = Sentence {
    section: "proxy_on_log",
    lines: [193, 193, 193],
    requires: "proxy_on_log is called after proxy_on_done returned true",
};
/// `proxy_on_log` comes before the context's state is released.
pub(super) const LOG_BEFORE_RELEASE: Sentence = Sentence {
    section: "proxy_on_log",
    lines: [188, 188, 188],
    requires: "proxy_on_log is called before the context's state is released (proxy_on_delete)",
};
/// `proxy_on_delete` comes after `proxy_on_done` returned true.
pub(super) const DELETE_AFTER_DONE: Sentence = Sentence {
    section: "proxy_on_delete",
    lines: [207, 207, 207],
    requires: "proxy_on_delete is called after proxy_on_done returned true",
};
/// A tick period makes the host call `proxy_on_tick`.
pub(super) const TICK: Sentence = Sentence {
    section: "proxy_set_tick_period_milliseconds",
    lines: [417, 399, 422],
    requires: "with a tick period set, the host calls proxy_on_tick every period",
};
/// `num_headers` counts the request headers the map holds.
pub(super) const REQUEST_NUM_HEADERS: Sentence = Sentence {
    section: "proxy_on_request_headers",
    lines: [919, 945, 968],
    requires: "num_headers is the number of request headers the map holds",
};
/// `num_headers` counts the response headers the map holds.
pub(super) const RESPONSE_NUM_HEADERS: Sentence = Sentence {
    section: "proxy_on_response_headers",
    lines: [1007, 1040, 1063],
    requires: "num_headers is the number of response headers the map holds",
};
/// `body_size` is the size available.
pub(super) const REQUEST_BODY_SIZE: Sentence = Sentence {
    section: "proxy_on_request_body",
    lines: [954, 982, 1005],
    requires: "body_size is the size of the request body available to read",
};
/// An enqueued item makes the host call `proxy_on_queue_ready`.
pub(super) const QUEUE_READY: Sentence = Sentence {
    section: "proxy_on_queue_ready",
    lines: [1579, 1588, 1611],
    requires: "proxy_on_queue_ready is called when an item is enqueued on the queue queue_id",
};

/// A local response takes the place of forwarding the request upstream.
pub(super) const LOCAL_RESPONSE_INSTEAD: Sentence = Sentence {
    section: "proxy_on_request_headers",
    lines: [930, 958, 981],
    requires: "a local response sent from proxy_on_request_headers is sent instead of \
               forwarding the request upstream",
};
/// `proxy_send_local_response` sends the plugin's response.
pub(super) const LOCAL_RESPONSE_SENT: Sentence = Sentence {
    section: "proxy_send_local_response",
    lines: [1095, 1134, 1157],
    requires: "the client receives the local response: the plugin's status code, body and \
               headers",
};
/// `CONTINUE` from `proxy_on_request_body` forwards the body buffer upstream.
pub(super) const REQUEST_BODY_FORWARDED: Sentence = Sentence {
    section: "proxy_on_request_body",
    lines: [964, 994, 1017],
    requires: "CONTINUE forwards the HTTP_REQUEST_BODY buffer, as the plugin set it, upstream",
};
/// `CONTINUE` from `proxy_on_response_headers` forwards the map downstream.
pub(super) const RESPONSE_HEADERS_FORWARDED: Sentence = Sentence {
    section: "proxy_on_response_headers",
    lines: [1022, 1057, 1080],
    requires: "CONTINUE forwards the HTTP_RESPONSE_HEADERS fields, as the plugin changed them, \
               downstream",
};
/// `CONTINUE` from `proxy_on_response_body` forwards the body buffer downstream.
pub(super) const RESPONSE_BODY_FORWARDED: Sentence = Sentence {
    section: "proxy_on_response_body",
    lines: [1049, 1086, 1109],
    requires: "CONTINUE forwards the HTTP_RESPONSE_BODY buffer, as the plugin set it, \
               downstream",
};

/// Where reference hosts order the start of a root context: create, `proxy_on_vm_start`,
/// `proxy_on_configure`.
pub(super) const CPP_HOST_START: &str = "proxy-wasm-cpp-host src/wasm.cc WasmBase::start, src/context.cc ContextBase::onStart \
     and ContextBase::onConfigure";
/// Where reference hosts pass `end_of_stream`.
pub(super) const ENVOY_END_OF_STREAM: &str = "Envoy source/extensions/common/wasm/context.cc Context::decodeHeaders/decodeData \
     (end_stream)";
/// Where Envoy changes the request headers the router then forwards upstream.
pub(super) const ENVOY_REQUEST_HEADERS: &str = "Envoy source/extensions/common/wasm/context.cc \
     Context::addHeaderMapValue, replaceHeaderMapValue and removeHeaderMapValue (they change \
     the stream's live request header map, which the router forwards upstream)";
/// Where reference hosts call `proxy_on_tick` with the root context.
pub(super) const CPP_HOST_TICK: &str = "proxy-wasm-cpp-host src/context.cc ContextBase::onTick";

/// Why out-slots after a failed call are only advisory.
pub(super) const UNTOUCHED: &str = "no spec sentence fixes out-parameters after a failed call \
     (proxy-wasm-cpp-host include/proxy-wasm/wasm.h copyToPointerSize writes the pointer \
     before the size can fail); a host that leaves them alone is easier to debug";

/// The basis of a status check: the status case's citation, or the host code it names.
pub(super) fn status(s: &StatusCase, function: &str) -> Result<Basis, String> {
    match (&s.level, &s.spec, &s.reference) {
        (IrLevel::Spec, Some(spec), _) => Ok(Basis::required(
            spec.clone(),
            format!("`{}` returns {} when {}", function, s.code, s.condition),
        )),
        (_, _, Some(source)) => Ok(Basis::reference(source.clone())),
        _ => Err(format!(
            "{function}: status {} is spec-level but cites no spec sentence",
            s.code
        )),
    }
}

/// The basis of a check of what a function does (its outputs on success), which `requires`.
pub(super) fn effect(f: &Function, requires: &str) -> Result<Basis, String> {
    match (&f.level, &f.spec, &f.reference) {
        (IrLevel::Spec, Some(spec), _) => Ok(Basis::required(
            spec.clone(),
            format!("`{}`: {requires}", f.name),
        )),
        (_, _, Some(source)) => Ok(Basis::reference(source.clone())),
        _ => Err(format!(
            "{}: a spec-level function that cites no spec sentence for what it does",
            f.name
        )),
    }
}

/// The basis of `function`'s status `code` in `abi` (its first case of that code).
pub(super) fn status_of(abi: &Abi, function: &str, code: &str) -> Result<Basis, String> {
    let f = abi
        .function(function)
        .ok_or_else(|| format!("no function {function}"))?;
    let s = f
        .statuses
        .iter()
        .find(|s| s.code == code)
        .ok_or_else(|| format!("{function} lists no status {code}"))?;
    status(s, function)
}

/// The basis of what `function` does in `abi`.
pub(super) fn effect_of(abi: &Abi, function: &str, requires: &str) -> Result<Basis, String> {
    let f = abi
        .function(function)
        .ok_or_else(|| format!("no function {function}"))?;
    effect(f, requires)
}
