//! The lifecycle section of a version page: the order in which a host drives a plugin, with the
//! hosts' recorded deviations, as prose.

use super::items::{host_ref, local_call, local_ref};
use super::markdown::{code, inline};
use crate::names;
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::lifecycle::{ConfigurationRead, Lifecycle, Phase, Resume};

/// The order of callbacks, with the reference hosts' deviations.
pub(super) struct LifecycleView {
    pub(super) steps: Vec<String>,
    pub(super) envoy_note: String,
    pub(super) deviations: Vec<String>,
}

/// The lifecycle of a plugin under one ABI, as the spec crate's [`Lifecycle`] orders it.
pub(super) fn view(abi: &Abi) -> LifecycleView {
    let lifecycle = Lifecycle::of(abi);
    let call = |name: &str| local_call(abi, name);
    let r = |name: &str| local_ref(abi, name);
    let configuration = |read: &ConfigurationRead| match read {
        ConfigurationRead::Function(function) => r(function),
        ConfigurationRead::Buffer { function, buffer } => format!(
            "{} on buffer {}",
            r(function),
            code(&names::spec_const(buffer))
        ),
    };
    let steps = lifecycle
        .phases
        .iter()
        .map(|phase| match phase {
            Phase::Marker { export } => format!(
                "The host loads the module and picks the ABI by the name of the marker export, \
                 here {}.",
                r(export)
            ),
            Phase::StartUp {
                initialize,
                main,
                start,
                host_functions,
            } => {
                let at_start: Vec<String> = host_functions.iter().map(|f| r(f)).collect();
                let at_start = match at_start.as_slice() {
                    [] => "No host function is meant for this phase".to_string(),
                    [one] => format!("Of the host functions, only {one} is meant for this phase"),
                    [rest @ .., last] => format!(
                        "Of the host functions, only {} and {last} are meant for this phase",
                        rest.join(", ")
                    ),
                };
                format!(
                    "Start-up, before any context exists: when {} is exported the host runs it, \
                     then {} with both arguments 0 when that is exported too; otherwise it runs \
                     {}. {at_start}.",
                    r(initialize),
                    r(main),
                    r(start),
                )
            }
            Phase::Allocation { allocator, legacy } => format!(
                "Whenever the host hands the plugin a result in memory it allocates, it calls {} \
                 first (or the deprecated {}); this can happen within any of the steps below.",
                call(allocator),
                r(legacy)
            ),
            Phase::PluginContext { create } => format!(
                "The host creates the plugin context: {} with a parent id of 0.",
                call(create)
            ),
            Phase::VmStart {
                callback,
                configuration: read,
            } => format!(
                "{}: the VM has started; the plugin reads the VM configuration with {}. A false \
                 result makes the start fail.",
                call(callback),
                configuration(read)
            ),
            Phase::Configure {
                callback,
                configuration: read,
            } => format!(
                "{}: a plugin configuration is applied; the plugin reads it with {}. A false \
                 result rejects it.",
                call(callback),
                configuration(read)
            ),
            Phase::StreamContext { create } => format!(
                "For each HTTP request or TCP connection the host creates a stream context: {} \
                 with the plugin context as parent.",
                call(create)
            ),
            Phase::HttpStream {
                request,
                response,
                resume,
            } => {
                let resume = match resume {
                    Resume::Stream { resume, close } => format!(
                        "until the plugin resumes it with {} (or ends it with {})",
                        call(resume),
                        call(close)
                    ),
                    Resume::PerDirection { request, response } => format!(
                        "until the plugin resumes it with {} or {}",
                        call(request),
                        call(response)
                    ),
                };
                let [request_headers, request_body, request_trailers] = request.map(call);
                let [response_headers, response_body, response_trailers] = response.map(call);
                format!(
                    "HTTP streams: {request_headers}, then {request_body} for each piece of the \
                     body, then {request_trailers} if trailers arrive; the response follows in \
                     the same order with {response_headers}, {response_body} and \
                     {response_trailers}. A callback that returns pause holds the stream \
                     {resume}."
                )
            }
            Phase::TcpStream { open, data, close } => {
                let [downstream_data, upstream_data] = data.map(call);
                let [downstream_close, upstream_close] = close.map(call);
                format!(
                    "TCP streams: {}, then {downstream_data} and {upstream_data} as data comes \
                     from either side, and {downstream_close} or {upstream_close} when a side \
                     closes.",
                    call(open)
                )
            }
            Phase::Done { callback, done } => format!(
                "When a context has finished (its stream is complete, or the plugin is shutting \
                 down) the host calls {}. True lets the host go on at once; false postpones the \
                 end until the plugin calls {}.",
                call(callback),
                call(done)
            ),
            Phase::End { log, delete } => format!(
                "Then {}, the place for access logging, and last {}; the context id is not used \
                 again.",
                call(log),
                call(delete)
            ),
            Phase::PluginEvents {
                events,
                set_effective_context,
            } => {
                let events: Vec<String> = events.iter().map(|f| r(f)).collect();
                format!(
                    "At any time after configuration, events that belong to no stream go to the \
                     plugin context: {}. To act on a stream from one of them, the plugin first \
                     calls {}.",
                    events.join(", "),
                    call(set_effective_context)
                )
            }
        })
        .collect();

    let envoy_note = lifecycle.logs_first.map_or_else(String::new, |order| {
        format!(
            "{} (a reference host) ends HTTP streams in another order: it calls {} first, when it \
             writes the access log, and only then {} (ignoring its result) and {}. {} has logged \
             before destroying the filter since {} ({}), so a plugin cannot rely on {} having \
             run when {} comes.",
            host_ref(abi, &order.host.name),
            r(order.log),
            r(order.done),
            r(order.delete),
            inline(&order.host.title),
            order.since,
            order.change,
            r(order.done),
            r(order.log)
        )
    });

    let deviations = lifecycle
        .deviations
        .iter()
        .map(|(f, d)| {
            format!(
                "{}, {}: {}",
                r(&f.name),
                host_ref(abi, &d.host),
                inline(&d.text)
            )
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
