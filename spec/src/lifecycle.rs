//! A plugin's life under one ABI: its phases, the callbacks and host functions each involves,
//! where each phase comes from (the lines of that version's spec text that state it, and the
//! host code behind what the text leaves open), and what the hosts do differently.

use crate::RELEASED;
use crate::ir::{Abi, Citation, ContextKind, Deviation, Function, Host};

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
const SET_EFFECTIVE_CONTEXT: &str = "proxy_set_effective_context";

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

/// The host whose code the phases follow where the spec text is silent.
const CPP_HOST: &str = "cpp_host";

/// The host that logs an HTTP stream before its done callback.
const ENVOY: &str = "envoy";

/// The host functions of these ABIs that proxy-wasm-cpp-host lets a plugin call while it starts
/// (`WasmBase::startVm` also allows WASI functions that no ABI here imports).
const START_UP_ALLOWED: [&str; 9] = [
    "proxy_log",
    "fd_write",
    "args_sizes_get",
    "args_get",
    "environ_sizes_get",
    "environ_get",
    "clock_time_get",
    "random_get",
    "poll_oneoff",
];

/// A sentence of the spec text that states part of a phase beyond the one sentence the IR cites
/// for each function: its heading, and its line in each released text in the order of
/// [`RELEASED`].
struct Sentence {
    section: &'static str,
    lines: [u32; RELEASED.len()],
}

impl Sentence {
    /// Where it stands in `abi`'s text, for a released version.
    fn cite(&self, abi: &Abi) -> Option<Citation> {
        let i = RELEASED.iter().position(|v| *v == abi.name)?;
        Some(Citation {
            version: abi.name.clone(),
            section: self.section.to_string(),
            line: *self.lines.get(i)?,
        })
    }
}

/// The plugin context runs what is "not related to any specific request or stream".
const PLUGIN_CONTEXT: Sentence = Sentence {
    section: "Terminology",
    lines: [22, 22, 22],
};
/// `_start` "is called only if `_initialize` is not exported".
const START_WITHOUT_INITIALIZE: Sentence = Sentence {
    section: START,
    lines: [101, 101, 101],
};
/// `malloc` is deprecated, "and it's called only in" the absence of `proxy_on_memory_allocate`.
const MALLOC_IN_ABSENCE: Sentence = Sentence {
    section: MALLOC,
    lines: [134, 134, 134],
};
/// A parent id of 0 creates a plugin context; any other, a per-stream context of that plugin
/// context.
const CONTEXT_PARENT: Sentence = Sentence {
    section: ON_CONTEXT_CREATE,
    lines: [160, 160, 160],
};
/// How the plugin reads the VM configuration.
const VM_CONFIGURATION: Sentence = Sentence {
    section: ON_VM_START,
    lines: [262, 262, 262],
};
/// False: "this instance of WasmVM shouldn't be used".
const VM_REJECTED: Sentence = Sentence {
    section: ON_VM_START,
    lines: [267, 267, 267],
};
/// How the plugin reads the plugin configuration.
const PLUGIN_CONFIGURATION: Sentence = Sentence {
    section: ON_CONFIGURE,
    lines: [281, 281, 281],
};
/// False: "this instance of plugin shouldn't be used" (0.1.0 names the way to read the
/// configuration in one line fewer).
const PLUGIN_REJECTED: Sentence = Sentence {
    section: ON_CONFIGURE,
    lines: [286, 287, 287],
};
/// True lets the host finalize and delete the context.
const DONE_TRUE: Sentence = Sentence {
    section: ON_DONE,
    lines: [175, 175, 175],
};
/// False: the context is still in use, and the plugin calls `proxy_done` later.
const DONE_FALSE: Sentence = Sentence {
    section: ON_DONE,
    lines: [176, 176, 176],
};
/// `proxy_on_log` is for "generating final log entries".
const LOG_USE: Sentence = Sentence {
    section: ON_LOG,
    lines: [191, 191, 191],
};
/// `proxy_on_log` comes after a true `proxy_on_done` or a call to `proxy_done`.
const LOG_AFTER_DONE: Sentence = Sentence {
    section: ON_LOG,
    lines: [193, 193, 193],
};
/// So does `proxy_on_delete`.
const DELETE_AFTER_DONE: Sentence = Sentence {
    section: ON_DELETE,
    lines: [207, 207, 207],
};
/// The effective context is changed during plugin-context callbacks such as
/// `proxy_on_http_call_response`.
const EFFECTIVE_CONTEXT_USE: Sentence = Sentence {
    section: SET_EFFECTIVE_CONTEXT,
    lines: [239, 239, 239],
};

/// A plugin's life under one ABI.
#[derive(Clone, Debug, PartialEq)]
pub struct Lifecycle<'a> {
    /// What happens: the phases, in the order the spec text and the hosts named give.
    pub phases: Vec<Phase<'a>>,
    /// A host the ABI names that ends HTTP streams with the log callback.
    pub logs_first: Option<LogsFirst<'a>>,
    /// The deviations recorded for the callbacks that start the plugin and create and end its
    /// contexts, callback by callback in the order they come.
    pub deviations: Vec<(&'a Function, &'a Deviation)>,
}

/// One phase of a plugin's life, and where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase<'a> {
    /// What happens.
    pub step: Step<'a>,
    /// The lines of this version's spec text that state the step's spec part, in text order:
    /// the IR's citations of the callbacks and functions whose own sentences state it, and
    /// further sentences of the text. Empty for an ABI without a published text.
    pub spec: Vec<Citation>,
    /// The host code the step's host part follows, for a step that has one, when the ABI names
    /// that host.
    pub host: Option<HostCode<'a>>,
}

/// Where a host does what the spec text leaves open.
#[derive(Clone, Debug, PartialEq)]
pub struct HostCode<'a> {
    /// The host.
    pub host: &'a Host,
    /// The source file, from the root of the host's repository.
    pub file: &'static str,
    /// The function in it.
    pub function: &'static str,
}

/// What happens in one phase. Names are of callbacks and host functions; an ABI may lack some.
/// Each step says what its spec part is (stated by the spec text) and, if it has one, its host
/// part (what proxy-wasm-cpp-host does where the text is silent).
#[derive(Clone, Debug, PartialEq)]
pub enum Step<'a> {
    /// Spec: the module exports the marker to advertise the ABI it supports. Host: the host picks
    /// the ABI by the first exported function named like a marker.
    Marker {
        /// The marker export.
        export: &'a str,
    },
    /// Spec: when the module is first loaded the host calls `initialize` and then `main`; it
    /// calls `start` only when `initialize` is not exported. Host: `main` gets 0 for both
    /// arguments, and until these return the plugin may call only the `allowed` host functions;
    /// any other traps.
    StartUp {
        /// The WASI reactor initialiser.
        initialize: &'a str,
        /// The program entry point.
        main: &'a str,
        /// The WASI command entry point.
        start: &'a str,
        /// The host functions of the ABI the host allows meanwhile, in the ABI's order.
        allowed: Vec<&'a str>,
    },
    /// Spec: the host has the plugin allocate memory with `allocator`, or only in its absence
    /// with the deprecated `legacy`. Host: it does so inside host functions that hand the plugin
    /// data, so within any later phase.
    Allocation {
        /// The allocator callback.
        allocator: &'a str,
        /// Its deprecated predecessor.
        legacy: &'a str,
    },
    /// Spec: the host creates the plugin (root) context with a parent id of 0.
    PluginContext {
        /// The context creation callback.
        create: &'a str,
    },
    /// Spec: the host starts the VM; the plugin can read the VM configuration; a false result
    /// means this VM should not be used. Host: called right after the plugin context is created,
    /// with its id as the unused first argument.
    VmStart {
        /// The callback.
        callback: &'a str,
        /// How the plugin reads the configuration.
        configuration: ConfigurationRead<'a>,
    },
    /// Spec: the host starts the plugin; the plugin can read its configuration; a false result
    /// means this plugin should not be used. Host: called right after the VM start, unless that
    /// returned false.
    Configure {
        /// The callback.
        callback: &'a str,
        /// How the plugin reads the configuration.
        configuration: ConfigurationRead<'a>,
    },
    /// Spec: for each stream the host creates a stream context with the plugin context as
    /// parent.
    StreamContext {
        /// The context creation callback.
        create: &'a str,
    },
    /// Spec: an HTTP stream: the request's headers, each chunk of its body and its trailers as
    /// they are received, then the response's the same way. The plugin resumes or closes a
    /// paused stream with `resume`.
    HttpStream {
        /// The request's headers, body and trailers callbacks.
        request: [&'a str; 3],
        /// The response's headers, body and trailers callbacks.
        response: [&'a str; 3],
        /// How the plugin resumes a paused stream.
        resume: Resume<'a>,
    },
    /// Spec: a TCP stream: the new connection, each chunk of data from either side, and each
    /// side's close.
    TcpStream {
        /// The new connection callback.
        open: &'a str,
        /// The downstream and upstream data callbacks.
        data: [&'a str; 2],
        /// The downstream and upstream close callbacks.
        close: [&'a str; 2],
    },
    /// Spec: the host is done processing a context. A true result lets it finalize and delete
    /// the context; false means the plugin still uses it and calls `done` later.
    Done {
        /// The callback.
        callback: &'a str,
        /// The host function that ends a postponed context.
        done: &'a str,
    },
    /// Spec: after a true done result or the plugin's `done` call: `log`, for final log entries
    /// before the context's state is released, and `delete`, after which the plugin forgets the
    /// context.
    End {
        /// The logging callback.
        log: &'a str,
        /// The last callback of a context.
        delete: &'a str,
    },
    /// Spec: what belongs to no request or stream runs in the plugin context, which these
    /// callbacks receive. To act on a stream from one of them, the plugin first makes that
    /// stream's context the effective one.
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
    /// One function for either direction, and one that closes the stream instead.
    Stream {
        /// Resumes the stream.
        resume: &'a str,
        /// Closes the stream.
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
    /// The lifecycle under `abi`, from the callbacks and host functions it has and the IR's
    /// citations of its spec text.
    pub fn of(abi: &'a Abi) -> Self {
        let cpp_host = |file, function| {
            abi.hosts
                .iter()
                .find(|h| h.name == CPP_HOST)
                .map(|host| HostCode {
                    host,
                    file,
                    function,
                })
        };
        let spec = |functions: &[&str], sentences: &[Sentence]| cited(abi, functions, sentences);
        let request = [
            "proxy_on_request_headers",
            "proxy_on_request_body",
            "proxy_on_request_trailers",
        ];
        let response = [
            "proxy_on_response_headers",
            "proxy_on_response_body",
            "proxy_on_response_trailers",
        ];
        let resume = if abi.function("proxy_continue_stream").is_some() {
            Resume::Stream {
                resume: "proxy_continue_stream",
                close: "proxy_close_stream",
            }
        } else {
            Resume::PerDirection {
                request: "proxy_continue_request",
                response: "proxy_continue_response",
            }
        };
        let resumers = match resume {
            Resume::Stream { resume, close } => [resume, close],
            Resume::PerDirection { request, response } => [request, response],
        };
        let open = "proxy_on_new_connection";
        let data = ["proxy_on_downstream_data", "proxy_on_upstream_data"];
        let close = [
            "proxy_on_downstream_connection_close",
            "proxy_on_upstream_connection_close",
        ];
        let events: Vec<&str> = abi
            .callbacks
            .iter()
            .filter(|f| {
                f.contexts == [ContextKind::Root]
                    && ![ON_VM_START, ON_CONFIGURE, VALIDATE_CONFIGURATION]
                        .contains(&f.name.as_str())
            })
            .map(|f| f.name.as_str())
            .collect();

        let mut phases = Vec::new();
        if let Some(export) = abi.marker.as_deref() {
            phases.push(Phase {
                step: Step::Marker { export },
                spec: spec(&[export], &[]),
                host: cpp_host("src/bytecode_util.cc", "BytecodeUtil::getAbiVersion"),
            });
        }
        phases.extend([
            Phase {
                step: Step::StartUp {
                    initialize: INITIALIZE,
                    main: MAIN,
                    start: START,
                    allowed: abi
                        .functions
                        .iter()
                        .map(|f| f.name.as_str())
                        .filter(|name| START_UP_ALLOWED.contains(name))
                        .collect(),
                },
                spec: spec(&[INITIALIZE, MAIN, START], &[START_WITHOUT_INITIALIZE]),
                host: cpp_host("src/wasm.cc", "WasmBase::startVm"),
            },
            Phase {
                step: Step::Allocation {
                    allocator: ON_MEMORY_ALLOCATE,
                    legacy: MALLOC,
                },
                spec: spec(&[ON_MEMORY_ALLOCATE], &[MALLOC_IN_ABSENCE]),
                host: cpp_host("include/proxy-wasm/wasm.h", "WasmBase::allocMemory"),
            },
            Phase {
                step: Step::PluginContext {
                    create: ON_CONTEXT_CREATE,
                },
                spec: spec(&[ON_CONTEXT_CREATE], &[CONTEXT_PARENT]),
                host: None,
            },
            Phase {
                step: Step::VmStart {
                    callback: ON_VM_START,
                    configuration: configuration_read(abi, "vm_configuration"),
                },
                spec: spec(&[ON_VM_START], &[VM_CONFIGURATION, VM_REJECTED]),
                host: cpp_host("src/context.cc", "ContextBase::onStart"),
            },
            Phase {
                step: Step::Configure {
                    callback: ON_CONFIGURE,
                    configuration: configuration_read(abi, "plugin_configuration"),
                },
                spec: spec(&[ON_CONFIGURE], &[PLUGIN_CONFIGURATION, PLUGIN_REJECTED]),
                host: cpp_host("src/wasm.cc", "getOrCreateThreadLocalPlugin"),
            },
            Phase {
                step: Step::StreamContext {
                    create: ON_CONTEXT_CREATE,
                },
                spec: spec(&[ON_CONTEXT_CREATE], &[CONTEXT_PARENT]),
                host: None,
            },
            Phase {
                spec: spec(&[&request[..], &response[..], &resumers[..]].concat(), &[]),
                step: Step::HttpStream {
                    request,
                    response,
                    resume,
                },
                host: None,
            },
            Phase {
                spec: spec(&[&[open][..], &data[..], &close[..]].concat(), &[]),
                step: Step::TcpStream { open, data, close },
                host: None,
            },
            Phase {
                step: Step::Done {
                    callback: ON_DONE,
                    done: DONE,
                },
                spec: spec(&[ON_DONE, DONE], &[DONE_TRUE, DONE_FALSE]),
                host: None,
            },
            Phase {
                step: Step::End {
                    log: ON_LOG,
                    delete: ON_DELETE,
                },
                spec: spec(
                    &[ON_LOG, ON_DELETE],
                    &[LOG_USE, LOG_AFTER_DONE, DELETE_AFTER_DONE],
                ),
                host: None,
            },
            Phase {
                spec: spec(
                    &[&events[..], &[SET_EFFECTIVE_CONTEXT][..]].concat(),
                    &[PLUGIN_CONTEXT, EFFECTIVE_CONTEXT_USE],
                ),
                step: Step::PluginEvents {
                    events,
                    set_effective_context: SET_EFFECTIVE_CONTEXT,
                },
                host: None,
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

/// The lines of `abi`'s spec text that state a step: the sentence the IR cites for each of
/// `functions` (what it does), and `sentences`, in text order.
fn cited(abi: &Abi, functions: &[&str], sentences: &[Sentence]) -> Vec<Citation> {
    let mut lines: Vec<Citation> = functions
        .iter()
        .filter_map(|name| abi.callback(name).or_else(|| abi.function(name)))
        .filter_map(|f| f.spec.clone())
        .chain(sentences.iter().filter_map(|s| s.cite(abi)))
        .collect();
    lines.sort_by_key(|c| c.line);
    lines
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

    /// Every function and callback a step names.
    fn named<'a>(step: &Step<'a>) -> Vec<&'a str> {
        let read = |c: &ConfigurationRead<'a>| match c {
            ConfigurationRead::Function(f) => *f,
            ConfigurationRead::Buffer { function, .. } => function,
        };
        match step {
            Step::Marker { export } => vec![export],
            Step::StartUp {
                initialize,
                main,
                start,
                allowed,
            } => [*initialize, main, start]
                .into_iter()
                .chain(allowed.iter().copied())
                .collect(),
            Step::Allocation { allocator, legacy } => vec![allocator, legacy],
            Step::PluginContext { create } | Step::StreamContext { create } => vec![create],
            Step::VmStart {
                callback,
                configuration,
            }
            | Step::Configure {
                callback,
                configuration,
            } => vec![callback, read(configuration)],
            Step::HttpStream {
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
            Step::TcpStream { open, data, close } => {
                [*open].iter().chain(data).chain(close).copied().collect()
            }
            Step::Done { callback, done } => vec![callback, done],
            Step::End { log, delete } => vec![log, delete],
            Step::PluginEvents {
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
        for version in RELEASED {
            let abi = abi(version);
            let lifecycle = Lifecycle::of(&abi);
            for name in lifecycle.phases.iter().flat_map(|p| named(&p.step)) {
                assert!(
                    abi.function(name).is_some() || abi.callback(name).is_some(),
                    "{name} in {version}"
                );
            }
            for phase in &lifecycle.phases {
                if let Step::VmStart { configuration, .. } | Step::Configure { configuration, .. } =
                    &phase.step
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

    /// Each phase of a released ABI rests on its version's spec text, and a phase that takes
    /// something from a host names the code; `spec/tests/citations.rs` checks the lines.
    #[test]
    fn every_phase_has_its_sources() {
        for version in RELEASED {
            let abi = abi(version);
            for phase in Lifecycle::of(&abi).phases {
                assert!(!phase.spec.is_empty(), "{:?} in {version}", phase.step);
                assert!(phase.spec.iter().all(|c| c.version == version));
                let host_part = matches!(
                    phase.step,
                    Step::Marker { .. }
                        | Step::StartUp { .. }
                        | Step::Allocation { .. }
                        | Step::VmStart { .. }
                        | Step::Configure { .. }
                );
                assert_eq!(
                    phase.host.as_ref().map(|h| h.host.name.as_str()),
                    host_part.then_some(CPP_HOST),
                    "{:?} in {version}",
                    phase.step
                );
            }
        }
    }

    /// A callback's own sentence comes from the IR, so it follows the version's text.
    #[test]
    fn spec_lines_follow_the_version() {
        let lines = |version: &str, pick: fn(&Step) -> bool| {
            let abi = abi(version);
            let phase = Lifecycle::of(&abi)
                .phases
                .into_iter()
                .find(|p| pick(&p.step));
            phase.map(|p| p.spec.iter().map(|c| c.line).collect::<Vec<_>>())
        };
        let start_up = |s: &Step| matches!(s, Step::StartUp { .. });
        assert_eq!(lines("0.2.1", start_up), Some(vec![76, 90, 101, 103]));
        let http = |s: &Step| matches!(s, Step::HttpStream { .. });
        let (old, new) = (lines("0.1.0", http), lines("0.2.1", http));
        assert!(old.is_some_and(|l| l.contains(&917) && l.contains(&1116)));
        assert!(new.is_some_and(|l| l.contains(&966) && l.contains(&790)));
        let configure = |s: &Step| matches!(s, Step::Configure { .. });
        assert_eq!(lines("0.1.0", configure), Some(vec![279, 281, 286]));
        assert_eq!(lines("0.2.0", configure), Some(vec![279, 281, 287]));
    }

    #[test]
    fn start_up_allows_what_cpp_host_allows() {
        for version in RELEASED {
            let abi = abi(version);
            for name in START_UP_ALLOWED {
                assert!(abi.function(name).is_some(), "{name} in {version}");
            }
        }
        let abi = abi("0.2.1");
        let allowed = Lifecycle::of(&abi)
            .phases
            .into_iter()
            .find_map(|p| match p.step {
                Step::StartUp { allowed, .. } => Some(allowed),
                _ => None,
            });
        let allowed = allowed.expect("a start-up phase");
        assert_eq!(allowed.first(), Some(&"proxy_log"));
        assert!(allowed.contains(&"fd_write"));
        assert!(!allowed.contains(&"sched_yield") && !allowed.contains(&"proc_exit"));
    }

    #[test]
    fn phases_follow_the_version() {
        let (v010, v021) = (abi("0.1.0"), abi("0.2.1"));
        let (old, new) = (Lifecycle::of(&v010), Lifecycle::of(&v021));
        assert_eq!(
            old.phases.first().map(|p| &p.step),
            Some(&Step::Marker {
                export: "proxy_abi_version_0_1_0"
            })
        );
        let has = |l: &Lifecycle, check: fn(&Step) -> bool| l.phases.iter().any(|p| check(&p.step));
        assert!(has(&old, |s| matches!(
            s,
            Step::VmStart {
                configuration: ConfigurationRead::Function("proxy_get_configuration"),
                ..
            }
        )));
        assert!(has(&new, |s| matches!(
            s,
            Step::VmStart {
                configuration: ConfigurationRead::Buffer {
                    function: "proxy_get_buffer_bytes",
                    buffer: "vm_configuration"
                },
                ..
            }
        )));
        assert!(has(&old, |s| matches!(
            s,
            Step::HttpStream {
                resume: Resume::PerDirection { .. },
                ..
            }
        )));
        assert!(has(&new, |s| matches!(
            s,
            Step::HttpStream {
                resume: Resume::Stream { .. },
                ..
            }
        )));
        let events = new.phases.iter().find_map(|p| match &p.step {
            Step::PluginEvents { events, .. } => Some(events),
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
