//! Random plugins through the whole host: wasm-smith modules that export a version's marker,
//! memory and callbacks and may import any of its host functions (with any arguments), each run
//! against a random scenario. Every run must end — in a transcript or a load error — without a
//! panic, and a run that does not end within a minute is reported as a hang.
//!
//! `FUZZ_CASES=N` sets the number of cases (default 2000); `cargo xtask fuzz [N]` runs this test
//! in release with many more.
#![allow(clippy::panic)] // test helpers fail loudly

use arbitrary::{Result, Unstructured};
use proxy_wasm_interchange::Bytes;
use proxy_wasm_spec::ir::{Abi, Function, WasmType};
use reference_host::scenario::{
    Certificate, Event, GrpcReply, HttpReply, HttpStream, Limits, Message, Scenario, StreamPart,
    TcpStream, Tls,
};
use reference_host::{LoadError, Runtime};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A run slower than this is a hang: fuel bounds every call and the scenario the number of calls.
const HANG: Duration = Duration::from_secs(60);

#[test]
fn random_plugins_and_scenarios_end_without_panics_or_hangs() {
    let cases: u64 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let runtime = reference_host::engine()
        .and_then(Runtime::new)
        .unwrap_or_else(|e| panic!("{e}"));
    let shapes: Vec<(Vec<u8>, Vec<u8>)> = proxy_wasm_spec::RELEASED
        .iter()
        .map(|v| {
            let abi = proxy_wasm_spec::builtin(v).unwrap_or_else(|e| panic!("{v}: {e:?}"));
            (imports(&abi), exports(&abi))
        })
        .collect();
    let watchdog = watchdog();
    let (mut ran, mut refused, mut slowest) = (0u64, 0u64, Duration::ZERO);
    for case in 0..cases {
        let _ = watchdog.send(case);
        let data = noise(case, 8192);
        let mut u = Unstructured::new(&data);
        let (imports, exports) = &shapes[(case % 3) as usize];
        // Only running out of noise fails here; such a case is left out.
        let (Ok(module), Ok(scenario)) = (
            wasm_smith::Module::new(config(imports, exports), &mut u),
            scenario(&mut u),
        ) else {
            continue;
        };
        let started = Instant::now();
        match runtime.run(&module.to_bytes(), &scenario) {
            Ok(_) => ran += 1,
            Err(LoadError::Compile(_) | LoadError::Link(_) | LoadError::Callback(_)) => {
                refused += 1
            }
            Err(e) => panic!("case {case}: a generated module or scenario was misread: {e}"),
        }
        slowest = slowest.max(started.elapsed());
    }
    println!("{cases} cases: {ran} ran, {refused} refused at load; slowest run {slowest:.2?}");
    // Most modules must get into the plugin, or the test exercises only the loader.
    assert!(ran * 2 > cases, "only {ran} of {cases} cases ran");
}

/// Aborts the test with the case number when one case runs longer than [`HANG`].
fn watchdog() -> mpsc::Sender<u64> {
    let (send, receive) = mpsc::channel::<u64>();
    std::thread::spawn(move || {
        let mut case = None;
        loop {
            match receive.recv_timeout(HANG) {
                Ok(next) => case = Some(next),
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    eprintln!("case {case:?} hangs: no result after {HANG:?}");
                    std::process::exit(101);
                }
            }
        }
    });
    send
}

/// Deterministic bytes for a case (splitmix64), so a failing case repeats by its number.
fn noise(case: u64, len: usize) -> Vec<u8> {
    let mut state = case.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out
}

fn config(imports: &[u8], exports: &[u8]) -> wasm_smith::Config {
    // Features a Winch-compiled proxy-wasm plugin has no use for are off, so nearly every module
    // loads and the runs reach the host functions.
    wasm_smith::Config {
        available_imports: Some(imports.to_vec()),
        exports: Some(exports.to_vec()),
        // Room for every import and callback type of a version.
        max_type_size: 100_000,
        max_types: 1_000,
        max_imports: 1_000,
        max_funcs: 12,
        max_instructions: 300,
        max_memory32_bytes: 1 << 20,
        max_tables: 1,
        max_table_elements: 64,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        gc_enabled: false,
        exceptions_enabled: false,
        threads_enabled: false,
        tail_call_enabled: false,
        memory64_enabled: false,
        reference_types_enabled: false,
        ..wasm_smith::Config::default()
    }
}

/// `f`'s wasm signature in the text format.
fn signature(f: &Function) -> String {
    let name = |t: WasmType| match t {
        WasmType::I32 => "i32",
        WasmType::I64 => "i64",
        WasmType::F32 => "f32",
        WasmType::F64 => "f64",
    };
    let params: Vec<&str> = f.wasm_params().into_iter().map(name).collect();
    let results: Vec<&str> = f.wasm_results().into_iter().map(name).collect();
    format!(
        "(param {}) (result {})",
        params.join(" "),
        results.join(" ")
    )
}

fn module(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// A module importing every host function of the version: what the plugin may call.
fn imports(abi: &Abi) -> Vec<u8> {
    let imports: String = (abi.functions.iter())
        .map(|f| {
            format!(
                "(import {:?} {:?} (func {}))\n",
                f.module,
                f.name,
                signature(f)
            )
        })
        .collect();
    module(&format!("(module {imports})"))
}

/// A module exporting the marker, memory and every callback of the version: what the
/// generated plugin must export (wasm-smith keeps the names and types, not the bodies).
fn exports(abi: &Abi) -> Vec<u8> {
    let marker = (abi.marker.iter()).map(|name| format!("(func (export {name:?}))\n"));
    let callbacks = (abi.callbacks.iter().filter(|f| !f.marker)).map(|f| {
        format!(
            "(func (export {:?}) {} unreachable)\n",
            f.name,
            signature(f)
        )
    });
    let funcs: String = marker.chain(callbacks).collect();
    module(&format!("(module (memory (export \"memory\") 1) {funcs})"))
}

fn text(u: &mut Unstructured<'_>) -> Result<String> {
    let len = u.int_in_range(0..=24)?;
    let bytes: Vec<u8> = (0..len)
        .map(|_| u.int_in_range(0x20..=0x7e))
        .collect::<Result<_>>()?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn pairs(u: &mut Unstructured<'_>) -> Result<Vec<(String, String)>> {
    let n = u.int_in_range(0..=4)?;
    (0..n).map(|_| Ok((text(u)?, text(u)?))).collect()
}

/// Any bytes, binary included.
fn bytes(u: &mut Unstructured<'_>) -> Result<Bytes> {
    let len = u.int_in_range(0..=24)?;
    Ok(Bytes(u.bytes(len)?.to_vec()))
}

fn chunks(u: &mut Unstructured<'_>) -> Result<Vec<Bytes>> {
    let n = u.int_in_range(0..=3)?;
    (0..n).map(|_| bytes(u)).collect()
}

fn message(u: &mut Unstructured<'_>) -> Result<Message> {
    Ok(Message {
        headers: pairs(u)?,
        body: chunks(u)?,
        trailers: pairs(u)?,
    })
}

fn event(u: &mut Unstructured<'_>) -> Result<Event> {
    Ok(match u.int_in_range(0..=4)? {
        0 | 1 => {
            let parts = [
                StreamPart::RequestHeaders,
                StreamPart::RequestBody,
                StreamPart::RequestTrailers,
                StreamPart::ResponseHeaders,
                StreamPart::ResponseBody,
            ];
            let mut stream = HttpStream {
                request: message(u)?,
                response: message(u)?,
                concurrent: u.arbitrary()?,
                gap_ms: u.int_in_range(0..=50)?,
                upstream_ms: u.int_in_range(0..=50)?,
                client_abort: if u.ratio(1, 4)? {
                    Some(*u.choose(&parts)?)
                } else {
                    None
                },
                ..HttpStream::default()
            };
            if u.arbitrary()? {
                stream.properties.insert(text(u)?, bytes(u)?);
            }
            stream.tls = tls(u)?.map(Box::new);
            Event::Http(stream)
        }
        2 => Event::Tcp(TcpStream {
            downstream: chunks(u)?,
            upstream: chunks(u)?,
        }),
        3 => Event::Tick(u.int_in_range(0..=5_000)?),
        _ => match u.int_in_range(0..=1)? {
            0 => Event::Enqueue {
                queue: text(u)?,
                data: bytes(u)?,
            },
            _ => Event::ForeignFunction {
                id: u.arbitrary()?,
                data: bytes(u)?,
            },
        },
    })
}

fn tls(u: &mut Unstructured<'_>) -> Result<Option<Tls>> {
    if !u.ratio(1, 4)? {
        return Ok(None);
    }
    let mut certificate = || -> Result<Option<Certificate>> {
        if !u.arbitrary()? {
            return Ok(None);
        }
        Ok(Some(Certificate {
            subject: text(u)?,
            uri_san: vec![text(u)?],
            dns_san: Vec::new(),
            sha256_digest: text(u)?,
        }))
    };
    Ok(Some(Tls {
        local_certificate: certificate()?,
        peer_certificate: certificate()?,
        version: text(u)?,
        requested_server_name: text(u)?,
    }))
}

fn scenario(u: &mut Unstructured<'_>) -> Result<Scenario> {
    let mut s = Scenario {
        vm_configuration: bytes(u)?,
        plugin_configuration: bytes(u)?,
        fail_open: u.arbitrary()?,
        root_id: text(u)?,
        tls: tls(u)?,
        limits: Limits {
            fuel_per_call: u.int_in_range(1_000..=2_000_000)?,
            memory_bytes: u.int_in_range(65_536..=1 << 20)?,
        },
        ..Scenario::default()
    };
    for _ in 0..u.int_in_range(0..=2)? {
        s.properties.insert(text(u)?, bytes(u)?);
    }
    for _ in 0..u.int_in_range(0..=2)? {
        let reply = HttpReply {
            fail: u.arbitrary()?,
            headers: pairs(u)?,
            body: bytes(u)?,
            trailers: pairs(u)?,
            delay_ms: u.int_in_range(0..=100)?,
        };
        s.upstreams.entry(text(u)?).or_default().push(reply);
    }
    for _ in 0..u.int_in_range(0..=1)? {
        let reply = GrpcReply {
            initial_metadata: pairs(u)?,
            messages: chunks(u)?,
            trailing_metadata: pairs(u)?,
            status: u.int_in_range(-1..=16)?,
            status_message: text(u)?,
            delay_ms: u.int_in_range(0..=100)?,
        };
        s.grpc_upstreams.entry(text(u)?).or_default().push(reply);
    }
    for _ in 0..u.int_in_range(0..=1)? {
        s.foreign_functions.insert(text(u)?, bytes(u)?);
    }
    for _ in 0..u.int_in_range(0..=6)? {
        s.events.push(event(u)?);
    }
    Ok(s)
}
