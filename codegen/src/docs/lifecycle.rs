//! The lifecycle section of a version page: the spec crate's phases of a plugin's life as prose,
//! each with the spec lines and the host code it rests on, and the hosts' recorded deviations.

use super::items::{host_ref, local_call, local_ref};
use super::markdown::{code, inline};
use crate::names;
use proxy_wasm_spec::Abi;
use proxy_wasm_spec::ir::Citation;
use proxy_wasm_spec::lifecycle::{ConfigurationRead, HostCode, Lifecycle, Phase, Resume, Step};

/// The steps of a plugin's life with their sources, and the reference hosts' deviations.
pub(super) struct LifecycleView {
    pub(super) intro: String,
    pub(super) steps: Vec<String>,
    pub(super) envoy_note: String,
    pub(super) deviations: Vec<String>,
}

/// The lifecycle of a plugin under one ABI, as the spec crate's [`Lifecycle`] orders it.
pub(super) fn view(abi: &Abi) -> LifecycleView {
    let lifecycle = Lifecycle::of(abi);
    let r = |name: &str| local_ref(abi, name);

    let intro = format!(
        "The steps of a plugin's life under ABI {v}. Each step says what the {v} spec text \
         states, citing the lines that state it; where the text is silent, the step goes on \
         with what a host does, naming the host and the file and function that do it. The text \
         orders the steps only where those lines say so.",
        v = abi.name
    );
    let steps = lifecycle
        .phases
        .iter()
        .map(|phase| step(abi, phase))
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
        intro,
        steps,
        envoy_note,
        deviations,
    }
}

/// One step: its spec part under the lines that state it, then its host part under the host
/// code it follows.
fn step(abi: &Abi, phase: &Phase) -> String {
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
    let (spec, host) = match &phase.step {
        Step::Marker { export } => (
            format!(
                "The module exports {} to advertise that it supports this ABI.",
                r(export)
            ),
            "picks the ABI by the first exported function named like a version marker.".to_string(),
        ),
        Step::StartUp {
            initialize,
            main,
            start,
            allowed,
        } => {
            let allowed = match listing(&allowed.iter().map(|f| r(f)).collect::<Vec<_>>()) {
                Some(list) => format!("lets the plugin call only {list}"),
                None => "lets the plugin call no host function".to_string(),
            };
            (
                format!(
                    "When the module is first loaded, the host calls {} and after it {}; \
                     without {} it calls {} instead.",
                    r(initialize),
                    r(main),
                    code(initialize),
                    r(start)
                ),
                format!(
                    "passes 0 as both arguments of {}, and until these return {allowed}; any \
                     other host function traps.",
                    code(main)
                ),
            )
        }
        Step::Allocation { allocator, legacy } => (
            format!(
                "The host has the plugin allocate memory with {}, or, only when that is not \
                 exported, with the deprecated {}.",
                call(allocator),
                r(legacy)
            ),
            "calls the allocator inside the host functions that hand the plugin data, so within \
             any of the steps below."
                .to_string(),
        ),
        Step::PluginContext { create } => (
            format!(
                "The host creates the plugin context: {} with a parent id of 0.",
                call(create)
            ),
            String::new(),
        ),
        Step::VmStart {
            callback,
            configuration: read,
        } => (
            format!(
                "The host starts the VM: {}. The plugin can read the VM configuration with {}; \
                 a false result means this VM should not be used.",
                call(callback),
                configuration(read)
            ),
            "calls it right after creating the plugin context, with that context's id as the \
             unused argument."
                .to_string(),
        ),
        Step::Configure {
            callback,
            configuration: read,
        } => (
            format!(
                "The host starts the plugin: {}. The plugin can read its configuration with {}; \
                 a false result means this plugin should not be used.",
                call(callback),
                configuration(read)
            ),
            "calls it right after the VM start above, unless that returned false.".to_string(),
        ),
        Step::StreamContext { create } => (
            format!(
                "For each stream the host creates a stream context: {} with the plugin context \
                 as parent.",
                call(create)
            ),
            String::new(),
        ),
        Step::HttpStream {
            request,
            response,
            resume,
        } => {
            let resume = match resume {
                Resume::Stream { resume, close } => format!(
                    "The plugin resumes a paused stream with {} or closes it with {}.",
                    call(resume),
                    call(close)
                ),
                Resume::PerDirection { request, response } => format!(
                    "The plugin resumes a paused request with {} and a paused response with {}.",
                    call(request),
                    call(response)
                ),
            };
            let [request_headers, request_body, request_trailers] = request.map(call);
            let [response_headers, response_body, response_trailers] = response.map(call);
            (
                format!(
                    "HTTP streams: {request_headers} when the request headers are received, \
                     {request_body} for each chunk of the request body, and {request_trailers} \
                     when the request trailers are received; the response's come the same way \
                     to {response_headers}, {response_body} and {response_trailers}. {resume}"
                ),
                String::new(),
            )
        }
        Step::TcpStream { open, data, close } => {
            let [downstream_data, upstream_data] = data.map(call);
            let [downstream_close, upstream_close] = close.map(call);
            (
                format!(
                    "TCP streams: {} when a new connection is established, {downstream_data} and \
                     {upstream_data} for each chunk of data received from downstream and from \
                     upstream, and {downstream_close} and {upstream_close} when the downstream \
                     and the upstream connection close.",
                    call(open)
                ),
                String::new(),
            )
        }
        Step::Done { callback, done } => (
            format!(
                "When the host is done processing a context, it calls {}. True lets it finalize \
                 and delete the context; false means the plugin still uses the context and will \
                 call {} later.",
                call(callback),
                call(done)
            ),
            String::new(),
        ),
        Step::End { log, delete } => (
            format!(
                "After a true result, or after that call, the host calls {}, where the plugin \
                 can write final log entries before the context's state is released, and {}, \
                 after which the plugin should drop all it keeps for the context.",
                call(log),
                call(delete)
            ),
            String::new(),
        ),
        Step::PluginEvents {
            events,
            set_effective_context,
        } => {
            let events = listing(&events.iter().map(|f| r(f)).collect::<Vec<_>>());
            (
                format!(
                    "What belongs to no request or stream runs in the plugin context, as do \
                     these callbacks: {}. To act on a stream from one of them, the plugin can \
                     first make that stream's context the effective one with {}.",
                    events.unwrap_or_default(),
                    call(set_effective_context)
                ),
                String::new(),
            )
        }
    };
    let spec = format!("{}{spec}", spec_label(&phase.spec));
    match &phase.host {
        Some(at) if !host.is_empty() => format!("{spec} {} {host}", host_label(abi, at)),
        _ => spec,
    }
}

/// "**Spec** (v0.2.1 lines 76, 90 and 101): ", or nothing without lines.
fn spec_label(lines: &[Citation]) -> String {
    let Some(first) = lines.first() else {
        return String::new();
    };
    let mut numbers: Vec<String> = lines.iter().map(|c| c.line.to_string()).collect();
    numbers.dedup();
    let noun = if numbers.len() == 1 { "line" } else { "lines" };
    match listing(&numbers) {
        Some(list) => format!("**Spec** (v{} {noun} {list}): ", first.version),
        None => String::new(),
    }
}

/// "**[proxy-wasm-cpp-host](#host-cpp_host)** (`src/wasm.cc`, `WasmBase::startVm`):".
fn host_label(abi: &Abi, at: &HostCode) -> String {
    format!(
        "**{}** ({}, {}):",
        host_ref(abi, &at.host.name),
        code(at.file),
        code(at.function)
    )
}

/// "a", "a and b", "a, b and c"; nothing for no items.
fn listing(items: &[String]) -> Option<String> {
    match items {
        [] => None,
        [one] => Some(one.clone()),
        [rest @ .., last] => Some(format!("{} and {last}", rest.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use crate::docs::tests::page;

    /// The section of a page that follows `## Lifecycle`.
    fn section(page: &str) -> &str {
        let start = page.find("## Lifecycle").unwrap_or(0);
        let rest = &page[start..];
        let end = rest.find("\n## Serialization").unwrap_or(rest.len());
        &rest[..end]
    }

    #[test]
    fn lifecycle_follows_each_version() {
        let v010 = section(page("v0.1.0.md"));
        let v021 = section(page("v0.2.1.md"));
        assert!(v010.contains("`(stream_context_id, num_headers)`"));
        assert!(v021.contains("`(stream_context_id, num_headers, end_of_stream)`"));
        assert!(v010.contains("read the VM configuration with [`proxy_get_configuration`]"));
        assert!(v021.contains("on buffer `VM_CONFIGURATION`"));
        assert!(v021.contains("it calls [`proxy_on_log`](#proxy_on_log) first"));
    }

    /// Each step cites the lines of its own version's text, and host facts name their code.
    #[test]
    fn steps_name_their_sources() {
        let v010 = section(page("v0.1.0.md"));
        let v021 = section(page("v0.2.1.md"));
        assert!(v021.contains("the 0.2.1 spec text"));
        assert!(v021.contains("**Spec** (v0.2.1 lines 76, 90, 101 and 103): When the module"));
        assert!(v010.contains("**Spec** (v0.1.0 lines 917, "));
        assert!(v021.contains("**Spec** (v0.2.1 lines 790, 806, 966, "));
        assert!(v021.contains(
            "**[proxy-wasm-cpp-host](#host-cpp_host)** (`src/wasm.cc`, `WasmBase::startVm`): \
             passes 0 as both arguments of `main`"
        ));
        assert!(v021.contains("(`src/context.cc`, `ContextBase::onStart`)"));
        assert!(!v021.contains("as the specification describes it"));
        assert!(!v021.contains("[`sched_yield`](#sched_yield)"));
    }
}
