//! The lifecycle section of a version page: the order in which a host drives a plugin, with the
//! hosts' recorded deviations.

use super::items::{host_ref, local_call, local_ref};
use super::markdown::{code, inline};
use crate::names;
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::ir::ContextKind;

/// The order of callbacks, with the reference hosts' deviations.
pub(super) struct LifecycleView {
    pub(super) steps: Vec<String>,
    pub(super) envoy_note: String,
    pub(super) deviations: Vec<String>,
}

/// The lifecycle of a plugin under one ABI, from the callbacks that ABI has.
pub(super) fn view(abi: &Abi) -> LifecycleView {
    let call = |name: &str| local_call(abi, name);
    let r = |name: &str| local_ref(abi, name);
    let mut steps = Vec::new();

    if let Some(marker) = &abi.marker {
        steps.push(format!(
            "The host loads the module and picks the ABI by the name of the marker export, \
             here {}.",
            r(marker)
        ));
    }
    let at_start: Vec<String> = abi
        .functions
        .iter()
        .filter(|f| {
            f.contexts
                .iter()
                .any(|c| matches!(c, ContextKind::Start | ContextKind::Any))
        })
        .map(|f| r(&f.name))
        .collect();
    let at_start = match at_start.as_slice() {
        [] => "No host function is meant for this phase".to_string(),
        [one] => format!("Of the host functions, only {one} is meant for this phase"),
        [rest @ .., last] => format!(
            "Of the host functions, only {} and {last} are meant for this phase",
            rest.join(", ")
        ),
    };
    steps.push(format!(
        "Start-up, before any context exists: when {} is exported the host runs it, then {} \
         with both arguments 0 when that is exported too; otherwise it runs {}. {at_start}.",
        r("_initialize"),
        r("main"),
        r("_start"),
    ));
    steps.push(format!(
        "Whenever the host hands the plugin a result in memory it allocates, it calls {} first \
         (or the deprecated {}); this can happen within any of the steps below.",
        call("proxy_on_memory_allocate"),
        r("malloc")
    ));
    steps.push(format!(
        "The host creates the plugin context: {} with a parent id of 0.",
        call("proxy_on_context_create")
    ));
    let config_read = |buffer: &str| {
        if abi.function("proxy_get_configuration").is_some() {
            r("proxy_get_configuration")
        } else {
            format!(
                "{} on buffer {}",
                r("proxy_get_buffer_bytes"),
                code(&names::spec_const(buffer))
            )
        }
    };
    steps.push(format!(
        "{}: the VM has started; the plugin reads the VM configuration with {}. A false result \
         makes the start fail.",
        call("proxy_on_vm_start"),
        config_read("vm_configuration")
    ));
    steps.push(format!(
        "{}: a plugin configuration is applied; the plugin reads it with {}. A false result \
         rejects it.",
        call("proxy_on_configure"),
        config_read("plugin_configuration")
    ));
    steps.push(format!(
        "For each HTTP request or TCP connection the host creates a stream context: {} with the \
         plugin context as parent.",
        call("proxy_on_context_create")
    ));
    let resume = if abi.function("proxy_continue_stream").is_some() {
        format!(
            "until the plugin resumes it with {} (or ends it with {})",
            call("proxy_continue_stream"),
            call("proxy_close_stream")
        )
    } else {
        format!(
            "until the plugin resumes it with {} or {}",
            call("proxy_continue_request"),
            call("proxy_continue_response")
        )
    };
    steps.push(format!(
        "HTTP streams: {}, then {} for each piece of the body, then {} if trailers arrive; the \
         response follows in the same order with {}, {} and {}. A callback that returns pause \
         holds the stream {resume}.",
        call("proxy_on_request_headers"),
        call("proxy_on_request_body"),
        call("proxy_on_request_trailers"),
        call("proxy_on_response_headers"),
        call("proxy_on_response_body"),
        call("proxy_on_response_trailers")
    ));
    steps.push(format!(
        "TCP streams: {}, then {} and {} as data comes from either side, and {} or {} when a \
         side closes.",
        call("proxy_on_new_connection"),
        call("proxy_on_downstream_data"),
        call("proxy_on_upstream_data"),
        call("proxy_on_downstream_connection_close"),
        call("proxy_on_upstream_connection_close")
    ));
    steps.push(format!(
        "When a context has finished (its stream is complete, or the plugin is shutting down) \
         the host calls {}. True lets the host go on at once; false postpones the end until the \
         plugin calls {}.",
        call("proxy_on_done"),
        call("proxy_done")
    ));
    steps.push(format!(
        "Then {}, the place for access logging, and last {}; the context id is not used again.",
        call("proxy_on_log"),
        call("proxy_on_delete")
    ));
    let start_and_config = [
        "proxy_on_vm_start",
        "proxy_on_configure",
        "proxy_validate_configuration",
    ];
    let plugin_events: Vec<String> = abi
        .callbacks
        .iter()
        .filter(|f| {
            f.contexts == [ContextKind::Root] && !start_and_config.contains(&f.name.as_str())
        })
        .map(|f| r(&f.name))
        .collect();
    steps.push(format!(
        "At any time after configuration, events that belong to no stream go to the plugin \
         context: {}. To act on a stream from one of them, the plugin first calls {}.",
        plugin_events.join(", "),
        call("proxy_set_effective_context")
    ));

    let envoy_note = if abi.hosts.iter().any(|h| h.name == "envoy") {
        format!(
            "{} (a reference host) ends HTTP streams in another order: it calls {} first, when it \
             writes the access log, and only then {} (ignoring its result) and {}. Envoy has \
             logged before destroying the filter since August 2020 (envoyproxy/envoy pull \
             request 12850), so a plugin cannot rely on {} having run when {} comes.",
            host_ref(abi, "envoy"),
            r("proxy_on_log"),
            r("proxy_on_done"),
            r("proxy_on_delete"),
            r("proxy_on_done"),
            r("proxy_on_log")
        )
    } else {
        String::new()
    };

    let in_lifecycle = [
        "_initialize",
        "main",
        "_start",
        "proxy_on_memory_allocate",
        "malloc",
        "proxy_on_context_create",
        "proxy_on_vm_start",
        "proxy_on_configure",
        "proxy_on_done",
        "proxy_on_log",
        "proxy_on_delete",
    ];
    let deviations = in_lifecycle
        .iter()
        .filter_map(|name| abi.callback(name))
        .flat_map(|f| {
            f.deviations.iter().map(move |d| {
                format!(
                    "{}, {}: {}",
                    r(&f.name),
                    host_ref(abi, &d.host),
                    inline(&d.text)
                )
            })
        })
        .collect();

    LifecycleView {
        steps,
        envoy_note,
        deviations,
    }
}

#[cfg(test)]
mod tests {
    use crate::docs::tests::page;

    #[test]
    fn lifecycle_follows_each_version() {
        let v010 = page("v0.1.0.md");
        let v021 = page("v0.2.1.md");
        assert!(v010.contains("`(stream_context_id, num_headers)`"));
        assert!(v021.contains("`(stream_context_id, num_headers, end_of_stream)`"));
        assert!(v010.contains("reads the VM configuration with [`proxy_get_configuration`]"));
        assert!(v021.contains("on buffer `VM_CONFIGURATION`"));
        assert!(v021.contains("it calls [`proxy_on_log`](#proxy_on_log) first"));
    }
}
