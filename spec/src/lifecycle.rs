//! The order in which a host drives a plugin, as the specification describes it: the phases of a
//! plugin's life, the callbacks and host functions each involves under one ABI, and what the
//! hosts do differently.

use crate::ir::{Abi, ContextKind, Deviation, Function, Host};

const INITIALIZE: &str = "_initialize";
const MAIN: &str = "main";
const START: &str = "_start";
const ON_MEMORY_ALLOCATE: &str = "proxy_on_memory_allocate";
const MALLOC: &str = "malloc";
const ON_CONTEXT_CREATE: &str = "proxy_on_context_create";
const ON_VM_START: &str = "proxy_on_vm_start";
const ON_CONFIGURE: &str = "proxy_on_configure";
const VALIDATE_CONFIGURATION: &str = "proxy_validate_configuration";
const GET_CONFIGURATION: &str = "proxy_get_configuration";
const GET_BUFFER_BYTES: &str = "proxy_get_buffer_bytes";
const ON_DONE: &str = "proxy_on_done";
const DONE: &str = "proxy_done";
const ON_LOG: &str = "proxy_on_log";
const ON_DELETE: &str = "proxy_on_delete";

/// The callbacks that start the plugin and create and end its contexts, in the order they come:
/// a host that deviates in one of them changes the lifecycle of every plugin.
const CORE: [&str; 11] = [
    INITIALIZE,
    MAIN,
    START,
    ON_MEMORY_ALLOCATE,
    MALLOC,
    ON_CONTEXT_CREATE,
    ON_VM_START,
    ON_CONFIGURE,
    ON_DONE,
    ON_LOG,
    ON_DELETE,
];

/// The host that logs an HTTP stream before its done callback.
const ENVOY: &str = "envoy";

/// A plugin's life under one ABI.
#[derive(Clone, Debug, PartialEq)]
pub struct Lifecycle<'a> {
    /// What happens, in order.
    pub phases: Vec<Phase<'a>>,
    /// A host the ABI names that ends HTTP streams with the log callback.
    pub logs_first: Option<LogsFirst<'a>>,
    /// The deviations recorded for the callbacks that start the plugin and create and end its
    /// contexts, callback by callback in the order they come.
    pub deviations: Vec<(&'a Function, &'a Deviation)>,
}

/// One phase of a plugin's life. Names are of callbacks and host functions; an ABI may lack some.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase<'a> {
    /// The host loads the module and picks the ABI by the name of this export.
    Marker {
        /// The marker export.
        export: &'a str,
    },
    /// Before any context exists, the host runs `initialize` and then `main` with both arguments
    /// 0 when each is exported; without `initialize`, it runs `start`.
    StartUp {
        /// The WASI reactor initialiser.
        initialize: &'a str,
        /// The program entry point.
        main: &'a str,
        /// The WASI command entry point.
        start: &'a str,
        /// The host functions meant for this phase, in the ABI's order.
        host_functions: Vec<&'a str>,
    },
    /// Whenever the host hands the plugin memory it allocates, within any later phase, it calls
    /// `allocator` first, or the deprecated `legacy`.
    Allocation {
        /// The allocator callback.
        allocator: &'a str,
        /// Its deprecated predecessor.
        legacy: &'a str,
    },
    /// The host creates the plugin (root) context with a parent id of 0.
    PluginContext {
        /// The context creation callback.
        create: &'a str,
    },
    /// The VM has started; the plugin reads the VM configuration. A false result makes the start
    /// fail.
    VmStart {
        /// The callback.
        callback: &'a str,
        /// How the plugin reads the configuration.
        configuration: ConfigurationRead<'a>,
    },
    /// A plugin configuration is applied. A false result rejects it.
    Configure {
        /// The callback.
        callback: &'a str,
        /// How the plugin reads the configuration.
        configuration: ConfigurationRead<'a>,
    },
    /// For each HTTP request or TCP connection the host creates a stream context, with the plugin
    /// context as parent.
    StreamContext {
        /// The context creation callback.
        create: &'a str,
    },
    /// An HTTP stream: headers, each piece of the body, and trailers if they arrive, first of the
    /// request and then of the response. A callback returning pause holds the stream until the
    /// plugin resumes it.
    HttpStream {
        /// The request's headers, body and trailers callbacks.
        request: [&'a str; 3],
        /// The response's headers, body and trailers callbacks.
        response: [&'a str; 3],
        /// How the plugin resumes a paused stream.
        resume: Resume<'a>,
    },
    /// A TCP stream: the new connection, data as it comes from either side, and each side's close.
    TcpStream {
        /// The new connection callback.
        open: &'a str,
        /// The downstream and upstream data callbacks.
        data: [&'a str; 2],
        /// The downstream and upstream close callbacks.
        close: [&'a str; 2],
    },
    /// A context has finished: its stream is complete, or the plugin is shutting down. A true
    /// result lets the host go on at once; false postpones the end until the plugin calls `done`.
    Done {
        /// The callback.
        callback: &'a str,
        /// The host function that ends a postponed context.
        done: &'a str,
    },
    /// The context ends: `log`, the place for access logging, then `delete`; the context id is
    /// not used again.
    End {
        /// The logging callback.
        log: &'a str,
        /// The last callback of a context.
        delete: &'a str,
    },
    /// At any time after configuration, events that belong to no stream go to the plugin context.
    /// To act on a stream from one of them, the plugin first calls `set_effective_context`.
    PluginEvents {
        /// The callbacks of those events, in the ABI's order.
        events: Vec<&'a str>,
        /// The host function that selects the stream.
        set_effective_context: &'a str,
    },
}

/// How a plugin reads a configuration.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigurationRead<'a> {
    /// With a host function of its own.
    Function(&'a str),
    /// With the buffer host function, on a member of `buffer_type`.
    Buffer {
        /// The buffer host function.
        function: &'a str,
        /// The `buffer_type` member.
        buffer: &'a str,
    },
}

/// How a plugin resumes a paused HTTP stream.
#[derive(Clone, Debug, PartialEq)]
pub enum Resume<'a> {
    /// One function for either direction, and one that ends the stream instead.
    Stream {
        /// Resumes the stream.
        resume: &'a str,
        /// Ends the stream.
        close: &'a str,
    },
    /// A function per direction.
    PerDirection {
        /// Resumes the request.
        request: &'a str,
        /// Resumes the response.
        response: &'a str,
    },
}

/// A host that ends HTTP streams in another order: `log` first, when it writes its access log,
/// then `done`, whose result it ignores, and `delete`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogsFirst<'a> {
    /// The host.
    pub host: &'a Host,
    /// The logging callback.
    pub log: &'a str,
    /// The done callback.
    pub done: &'a str,
    /// The last callback of a context.
    pub delete: &'a str,
    /// Since when the host does so.
    pub since: &'a str,
    /// The change to the host that made it so.
    pub change: &'a str,
}

impl<'a> Lifecycle<'a> {
    /// The lifecycle under `abi`, from the callbacks and host functions it has.
    pub fn of(abi: &'a Abi) -> Self {
        let mut phases = Vec::new();
        if let Some(export) = &abi.marker {
            phases.push(Phase::Marker { export });
        }
        phases.extend([
            Phase::StartUp {
                initialize: INITIALIZE,
                main: MAIN,
                start: START,
                host_functions: abi
                    .functions
                    .iter()
                    .filter(|f| {
                        f.contexts
                            .iter()
                            .any(|c| matches!(c, ContextKind::Start | ContextKind::Any))
                    })
                    .map(|f| f.name.as_str())
                    .collect(),
            },
            Phase::Allocation {
                allocator: ON_MEMORY_ALLOCATE,
                legacy: MALLOC,
            },
            Phase::PluginContext {
                create: ON_CONTEXT_CREATE,
            },
            Phase::VmStart {
                callback: ON_VM_START,
                configuration: configuration_read(abi, "vm_configuration"),
            },
            Phase::Configure {
                callback: ON_CONFIGURE,
                configuration: configuration_read(abi, "plugin_configuration"),
            },
            Phase::StreamContext {
                create: ON_CONTEXT_CREATE,
            },
            Phase::HttpStream {
                request: [
                    "proxy_on_request_headers",
                    "proxy_on_request_body",
                    "proxy_on_request_trailers",
                ],
                response: [
                    "proxy_on_response_headers",
                    "proxy_on_response_body",
                    "proxy_on_response_trailers",
                ],
                resume: if abi.function("proxy_continue_stream").is_some() {
                    Resume::Stream {
                        resume: "proxy_continue_stream",
                        close: "proxy_close_stream",
                    }
                } else {
                    Resume::PerDirection {
                        request: "proxy_continue_request",
                        response: "proxy_continue_response",
                    }
                },
            },
            Phase::TcpStream {
                open: "proxy_on_new_connection",
                data: ["proxy_on_downstream_data", "proxy_on_upstream_data"],
                close: [
                    "proxy_on_downstream_connection_close",
                    "proxy_on_upstream_connection_close",
                ],
            },
            Phase::Done {
                callback: ON_DONE,
                done: DONE,
            },
            Phase::End {
                log: ON_LOG,
                delete: ON_DELETE,
            },
            Phase::PluginEvents {
                events: abi
                    .callbacks
                    .iter()
                    .filter(|f| {
                        f.contexts == [ContextKind::Root]
                            && ![ON_VM_START, ON_CONFIGURE, VALIDATE_CONFIGURATION]
                                .contains(&f.name.as_str())
                    })
                    .map(|f| f.name.as_str())
                    .collect(),
                set_effective_context: "proxy_set_effective_context",
            },
        ]);
        Lifecycle {
            phases,
            logs_first: abi
                .hosts
                .iter()
                .find(|h| h.name == ENVOY)
                .map(|host| LogsFirst {
                    host,
                    log: ON_LOG,
                    done: ON_DONE,
                    delete: ON_DELETE,
                    since: "August 2020",
                    change: "envoyproxy/envoy pull request 12850",
                }),
            deviations: CORE
                .iter()
                .filter_map(|name| abi.callback(name))
                .flat_map(|f| f.deviations.iter().map(move |d| (f, d)))
                .collect(),
        }
    }
}

/// How a plugin reads the configuration held in `buffer`: with the configuration host function
/// where the ABI has one, otherwise from that buffer.
fn configuration_read<'a>(abi: &Abi, buffer: &'a str) -> ConfigurationRead<'a> {
    if abi.function(GET_CONFIGURATION).is_some() {
        ConfigurationRead::Function(GET_CONFIGURATION)
    } else {
        ConfigurationRead::Buffer {
            function: GET_BUFFER_BYTES,
            buffer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;
    use crate::ir::TypeDefKind;

    fn abi(name: &str) -> Abi {
        builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// Every function and callback a phase names.
    fn named<'a>(phase: &Phase<'a>) -> Vec<&'a str> {
        let read = |c: &ConfigurationRead<'a>| match c {
            ConfigurationRead::Function(f) => *f,
            ConfigurationRead::Buffer { function, .. } => function,
        };
        match phase {
            Phase::Marker { export } => vec![export],
            Phase::StartUp {
                initialize,
                main,
                start,
                host_functions,
            } => [*initialize, main, start]
                .into_iter()
                .chain(host_functions.iter().copied())
                .collect(),
            Phase::Allocation { allocator, legacy } => vec![allocator, legacy],
            Phase::PluginContext { create } | Phase::StreamContext { create } => vec![create],
            Phase::VmStart {
                callback,
                configuration,
            }
            | Phase::Configure {
                callback,
                configuration,
            } => vec![callback, read(configuration)],
            Phase::HttpStream {
                request,
                response,
                resume,
            } => {
                let (a, b) = match resume {
                    Resume::Stream { resume, close } => (resume, close),
                    Resume::PerDirection { request, response } => (request, response),
                };
                request
                    .iter()
                    .chain(response)
                    .chain([a, b])
                    .copied()
                    .collect()
            }
            Phase::TcpStream { open, data, close } => {
                [*open].iter().chain(data).chain(close).copied().collect()
            }
            Phase::Done { callback, done } => vec![callback, done],
            Phase::End { log, delete } => vec![log, delete],
            Phase::PluginEvents {
                events,
                set_effective_context,
            } => events
                .iter()
                .copied()
                .chain([*set_effective_context])
                .collect(),
        }
    }

    #[test]
    fn every_name_is_in_every_released_abi() {
        for version in ["0.1.0", "0.2.0", "0.2.1"] {
            let abi = abi(version);
            let lifecycle = Lifecycle::of(&abi);
            for name in lifecycle.phases.iter().flat_map(named) {
                assert!(
                    abi.function(name).is_some() || abi.callback(name).is_some(),
                    "{name} in {version}"
                );
            }
            for phase in &lifecycle.phases {
                if let Phase::VmStart { configuration, .. } | Phase::Configure { configuration, .. } =
                    phase
                    && let ConfigurationRead::Buffer { buffer, .. } = configuration
                {
                    let buffers = abi.type_def("buffer_type").map(|t| &t.def);
                    assert!(
                        matches!(buffers, Some(TypeDefKind::Enum { values, .. })
                            if values.iter().any(|v| v.name == *buffer)),
                        "{buffer} in {version}"
                    );
                }
            }
            let logs_first = lifecycle.logs_first.as_ref().expect("the ABIs name Envoy");
            assert_eq!(logs_first.host.name, "envoy");
        }
    }

    #[test]
    fn phases_follow_the_version() {
        let (v010, v021) = (abi("0.1.0"), abi("0.2.1"));
        let (old, new) = (Lifecycle::of(&v010), Lifecycle::of(&v021));
        assert_eq!(
            old.phases.first(),
            Some(&Phase::Marker {
                export: "proxy_abi_version_0_1_0"
            })
        );
        let has = |l: &Lifecycle, check: fn(&Phase) -> bool| l.phases.iter().any(check);
        assert!(has(&old, |p| matches!(
            p,
            Phase::VmStart {
                configuration: ConfigurationRead::Function("proxy_get_configuration"),
                ..
            }
        )));
        assert!(has(&new, |p| matches!(
            p,
            Phase::VmStart {
                configuration: ConfigurationRead::Buffer {
                    function: "proxy_get_buffer_bytes",
                    buffer: "vm_configuration"
                },
                ..
            }
        )));
        assert!(has(&old, |p| matches!(
            p,
            Phase::HttpStream {
                resume: Resume::PerDirection { .. },
                ..
            }
        )));
        assert!(has(&new, |p| matches!(
            p,
            Phase::HttpStream {
                resume: Resume::Stream { .. },
                ..
            }
        )));
        let events = new.phases.iter().find_map(|p| match p {
            Phase::PluginEvents { events, .. } => Some(events),
            _ => None,
        });
        let events = events.expect("a plugin events phase");
        assert!(events.contains(&"proxy_on_tick"));
        assert!(!events.contains(&"proxy_on_configure"));
        assert!(
            new.deviations
                .iter()
                .any(|(f, d)| f.name == "proxy_on_log" && d.host == "envoy")
        );
    }
}
