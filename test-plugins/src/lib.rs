//! Real Proxy-Wasm plugins for the tests: written with the proxy-wasm Rust SDK from crates.io
//! (0.2 for ABI 0.2.1, 0.1 for ABI 0.1.0), in C (ABI 0.2.0 without libc; ABI 0.2.1 with
//! wasi-libc and with emscripten's libc, as the C++ SDK builds) and in AssemblyScript (npm's
//! `assemblyscript` with the `@solo-io/proxy-runtime` SDK, ABI 0.2.0), compiled on demand.
//!
//! [`build`] returns the path of a plugin's `.wasm`, compiling it when the cache misses. The
//! cache lives under the workspace's `target/test-plugins/`, keyed by a hash of the plugin
//! sources, their `Cargo.lock` and the toolchain's identity, so repeated runs do not compile.
//! [`build_examples`] builds and caches another cargo project's examples the same way.
//! Rust plugins need Debian's wasm-capable Rust (`rustc-web`, with its std sources for
//! `-Zbuild-std`); the C plugins need Debian's `clang` and `lld`, with `wasi-libc` and
//! `libclang-rt-14-dev-wasm32` for wasi-libc, or `emscripten`; the AssemblyScript one Debian's
//! `npm`, which fetches the compiler and SDK versions pinned in `assemblyscript/package-lock.json`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

/// A test plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plugin {
    /// SDK 0.2: adds, replaces and removes request and response headers per its configuration.
    HeaderRewrite,
    /// SDK 0.2: uppercases the response body, buffering it until the last chunk.
    BodyTransform,
    /// SDK 0.2: 403 without `authorization`, else asks the upstream `auth` with an HTTP call.
    Auth,
    /// SDK 0.2: on each tick bumps shared data with CAS and enqueues; drains the queue.
    TickQueue,
    /// SDK 0.2: a counter, a gauge and a histogram per request, read back into the log.
    Metrics,
    /// SDK 0.2: logs the host's properties; sets one of its own.
    Properties,
    /// SDK 0.1: rewrites request headers per its configuration, stamps the response.
    HeaderRewrite01,
    /// SDK 0.1: 403 with `x-denied-by` when `x-api-key` is missing.
    LocalResponse01,
    /// SDK 0.1: logs the host's properties; sets one of its own.
    Properties01,
    /// C, ABI 0.2.0: stamps requests, answers 401 for /private, appends to the response body.
    CStamp,
    /// C with wasi-libc, ABI 0.2.1: prints to stdout and stderr, stamps requests with a count
    /// and the time since start.
    GreetWasiLibc,
    /// The same source built by emscripten.
    GreetEmscripten,
    /// AssemblyScript SDK, ABI 0.2.0: root id "tag"; tags requests with its configuration,
    /// answers /deny with 403, logs each response.
    TagAssemblyScript,
}

impl Plugin {
    /// Every plugin.
    pub const ALL: [Plugin; 13] = [
        Plugin::HeaderRewrite,
        Plugin::BodyTransform,
        Plugin::Auth,
        Plugin::TickQueue,
        Plugin::Metrics,
        Plugin::Properties,
        Plugin::HeaderRewrite01,
        Plugin::LocalResponse01,
        Plugin::Properties01,
        Plugin::CStamp,
        Plugin::GreetWasiLibc,
        Plugin::GreetEmscripten,
        Plugin::TagAssemblyScript,
    ];

    /// The file name of its module, without `.wasm` (the cargo example or the C file's stem).
    pub fn name(self) -> &'static str {
        match self {
            Plugin::HeaderRewrite => "header_rewrite",
            Plugin::BodyTransform => "body_transform",
            Plugin::Auth => "auth",
            Plugin::TickQueue => "tick_queue",
            Plugin::Metrics => "metrics",
            Plugin::Properties => "properties",
            Plugin::HeaderRewrite01 => "header_rewrite_0_1",
            Plugin::LocalResponse01 => "local_response_0_1",
            Plugin::Properties01 => "properties_0_1",
            Plugin::CStamp => "stamp",
            Plugin::GreetWasiLibc => "greet_wasi_libc",
            Plugin::GreetEmscripten => "greet_emscripten",
            Plugin::TagAssemblyScript => "tag_assemblyscript",
        }
    }

    /// The ABI version its `proxy_abi_version_*` export declares.
    pub fn abi(self) -> &'static str {
        match self.project() {
            Project::Sdk02 => "0.2.1",
            Project::Sdk01 => "0.1.0",
            Project::C | Project::AssemblyScript => "0.2.0",
            Project::WasiLibc | Project::Emscripten => "0.2.1",
        }
    }

    fn project(self) -> Project {
        match self {
            Plugin::HeaderRewrite
            | Plugin::BodyTransform
            | Plugin::Auth
            | Plugin::TickQueue
            | Plugin::Metrics
            | Plugin::Properties => Project::Sdk02,
            Plugin::HeaderRewrite01 | Plugin::LocalResponse01 | Plugin::Properties01 => {
                Project::Sdk01
            }
            Plugin::CStamp => Project::C,
            Plugin::GreetWasiLibc => Project::WasiLibc,
            Plugin::GreetEmscripten => Project::Emscripten,
            Plugin::TagAssemblyScript => Project::AssemblyScript,
        }
    }

    /// The source file it is built from, without `.c` or `.ts`.
    fn source_stem(self) -> &'static str {
        match self {
            Plugin::GreetWasiLibc | Plugin::GreetEmscripten => "greet",
            Plugin::TagAssemblyScript => "tag",
            other => other.name(),
        }
    }
}

/// Why a plugin could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError(String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

/// The path of `plugin`'s `.wasm`, built first if the cache does not hold the current one.
pub fn build(plugin: Plugin) -> Result<PathBuf, BuildError> {
    let project = plugin.project();
    project.check_toolchain()?;
    let dir = cache_dir(project.label(), project.key()?);
    let wasm = dir.join(format!("{}.wasm", plugin.name()));
    cached(&dir, &[&wasm], project.lock(), || project.compile(&dir))?;
    Ok(wasm)
}

/// The `.wasm` of each of `examples`, `cdylib` examples of the cargo project in `source` (a
/// workspace of its own, with a `Cargo.lock`), built and cached like the Rust plugins. The
/// cache key covers the files under `source` and under `inputs`, the directories of its path
/// dependencies; `label` names the cache directory.
pub fn build_examples(
    label: &str,
    source: &Path,
    inputs: &[&Path],
    examples: &[&str],
) -> Result<Vec<PathBuf>, BuildError> {
    check_rust_toolchain()?;
    let roots: Vec<&Path> = std::iter::once(source)
        .chain(inputs.iter().copied())
        .collect();
    let dir = cache_dir(label, key(&roots, &rust_identity()?, CARGO_ARGS)?);
    let wasm: Vec<PathBuf> = examples
        .iter()
        .map(|name| dir.join(format!("{name}.wasm")))
        .collect();
    let paths: Vec<&Path> = wasm.iter().map(PathBuf::as_path).collect();
    cached(&dir, &paths, &LOCKS[6], || {
        cargo_build(source, &dir, examples)
    })?;
    Ok(wasm)
}

fn cache_dir(label: &str, key: u64) -> PathBuf {
    target_dir()
        .join("test-plugins")
        .join(format!("{label}-{key:016x}"))
}

/// Runs `compile` into `dir` unless every one of `wasm` is there already.
fn cached(
    dir: &Path,
    wasm: &[&Path],
    lock: &Mutex<()>,
    compile: impl FnOnce() -> Result<(), BuildError>,
) -> Result<(), BuildError> {
    let present = || wasm.iter().all(|w| w.is_file());
    if present() {
        return Ok(());
    }
    // One build per project at a time in this process; other processes are kept apart by
    // cargo's own lock and by renaming finished files into place.
    let _guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !present() {
        std::fs::create_dir_all(dir)
            .map_err(|e| BuildError(format!("cannot create {}: {e}", dir.display())))?;
        compile()?;
    }
    Ok(())
}

/// The bytes of `plugin`'s `.wasm`, built first if needed.
pub fn wasm(plugin: Plugin) -> Result<Vec<u8>, BuildError> {
    let path = build(plugin)?;
    std::fs::read(&path).map_err(|e| BuildError(format!("cannot read {}: {e}", path.display())))
}

/// A source project: one build produces all its plugins.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Project {
    Sdk02,
    Sdk01,
    C,
    WasiLibc,
    Emscripten,
    AssemblyScript,
}

/// How a C project is compiled: the compiler, its arguments (part of the cache key), and the
/// files the build needs, each with the Debian package that brings it.
struct CToolchain {
    compiler: &'static str,
    args: &'static [&'static str],
    needs: &'static [(&'static str, &'static str)],
}

/// Debian's Rust, which (unlike rustup here) can build std for wasm32 from its sources.
const RUSTC: &str = "/usr/bin/rustc";
const CARGO: &str = "/usr/bin/cargo";
/// Each package of Debian's wasm-capable Rust, with a file that shows it is installed.
const RUST_PACKAGES: &[(&str, &str)] = &[
    ("rustc-web", RUSTC),
    ("cargo-web", CARGO),
    (
        "rust-web-src",
        "/usr/lib/rustlib/src/rust/library/std/Cargo.toml",
    ),
    ("rust-web-llvm", "/usr/bin/rust-lld"),
    ("lld-22", "/usr/bin/lld-22"),
];
const WASM32: &str = "wasm32-unknown-unknown";
/// What a build runs, beyond the sources; part of the cache key.
const CARGO_ARGS: &[&str] = &[
    "build",
    "--release",
    "--locked",
    "--examples",
    "--color",
    "never",
    "--target",
    WASM32,
    "-Zbuild-std=std,panic_abort",
];
const CLANG_ARGS: &[&str] = &[
    "--target=wasm32",
    "-nostdlib",
    "-ffreestanding",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wl,--no-entry",
];

/// The C++ SDK's way with wasi-libc: a reactor, so that `_initialize` runs the constructors.
const WASI_LIBC_ARGS: &[&str] = &[
    "--target=wasm32-wasi",
    "-mexec-model=reactor",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
];
/// The C++ SDK's way with emscripten: a standalone module whose proxy_* imports stay undefined
/// (the SDK declares them in a JS library to the same effect).
const EMSCRIPTEN_ARGS: &[&str] = &[
    "-O2",
    "-sSTANDALONE_WASM=1",
    "-sALLOW_MEMORY_GROWTH=1",
    "-sERROR_ON_UNDEFINED_SYMBOLS=0",
    "--no-entry",
    "-Wall",
    "-Wextra",
    "-Werror",
];
const CLANG: &[(&str, &str)] = &[("clang", "clang"), ("wasm-ld", "lld")];
const CLANG_WASI: &[(&str, &str)] = &[
    ("clang", "clang"),
    ("wasm-ld", "lld"),
    ("/usr/lib/wasm32-wasi/libc.a", "wasi-libc"),
    (
        "/usr/lib/llvm-14/lib/clang/14.0.6/lib/wasi/libclang_rt.builtins-wasm32.a",
        "libclang-rt-14-dev-wasm32",
    ),
];
const EMCC: &[(&str, &str)] = &[("emcc", "emscripten")];
const NPM: &[(&str, &str)] = &[("npm", "npm"), ("node", "nodejs")];
/// The SDK's way: its abort handler, which imports `proc_exit`.
const ASC_ARGS: &[&str] = &["--use", "abort=abort_proc_exit", "--optimize"];

/// Every Debian package the test plugins need, each with the program (on the PATH) or the
/// absolute path of a file that shows it is installed; `cargo xtask test` installs the missing.
pub fn debian_packages() -> Vec<(&'static str, &'static str)> {
    let c = [CLANG, CLANG_WASI, EMCC, NPM].into_iter().flatten();
    let mut all: Vec<(&str, &str)> = RUST_PACKAGES
        .iter()
        .map(|(package, file)| (*package, *file))
        .collect();
    for (file, package) in c {
        if !all.iter().any(|(p, _)| p == package) {
            all.push((package, file));
        }
    }
    all
}

/// One per [`Project`], then one for [`build_examples`].
static LOCKS: [Mutex<()>; 7] = [
    Mutex::new(()),
    Mutex::new(()),
    Mutex::new(()),
    Mutex::new(()),
    Mutex::new(()),
    Mutex::new(()),
    Mutex::new(()),
];

impl Project {
    fn label(self) -> &'static str {
        match self {
            Project::Sdk02 => "rust-0.2",
            Project::Sdk01 => "rust-0.1",
            Project::C => "c",
            Project::WasiLibc => "c-wasi-libc",
            Project::Emscripten => "c-emscripten",
            Project::AssemblyScript => "assemblyscript",
        }
    }

    fn source(self) -> PathBuf {
        let dir = match self {
            Project::WasiLibc | Project::Emscripten => "c-wasi",
            other => other.label(),
        };
        Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)
    }

    fn c_toolchain(self) -> Option<CToolchain> {
        match self {
            Project::Sdk02 | Project::Sdk01 | Project::AssemblyScript => None,
            Project::C => Some(CToolchain {
                compiler: "clang",
                args: CLANG_ARGS,
                needs: CLANG,
            }),
            Project::WasiLibc => Some(CToolchain {
                compiler: "clang",
                args: WASI_LIBC_ARGS,
                needs: CLANG_WASI,
            }),
            Project::Emscripten => Some(CToolchain {
                compiler: "emcc",
                args: EMSCRIPTEN_ARGS,
                needs: EMCC,
            }),
        }
    }

    fn lock(self) -> &'static Mutex<()> {
        &LOCKS[self as usize]
    }

    fn plugins(self) -> impl Iterator<Item = Plugin> {
        Plugin::ALL.into_iter().filter(move |p| p.project() == self)
    }

    fn check_toolchain(self) -> Result<(), BuildError> {
        let needs = match (self, self.c_toolchain()) {
            (_, Some(c)) => c.needs,
            (Project::AssemblyScript, None) => NPM,
            _ => return check_rust_toolchain(),
        };
        let missing: Vec<&str> = needs
            .iter()
            .filter(|(file, _)| {
                if file.starts_with('/') {
                    !Path::new(file).exists()
                } else {
                    !on_path(file)
                }
            })
            .map(|(_, package)| *package)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let all: Vec<&str> = needs.iter().map(|(_, package)| *package).collect();
        Err(BuildError(format!(
            "the {} test plugins need {} (missing here: {}): install Debian's packages with \
             `apt-get install -y {}` (as root), or run `cargo xtask test`, which installs them",
            self.label(),
            all.join(", "),
            missing.join(", "),
            all.join(" ")
        )))
    }

    /// Hash of everything the build reads: the sources, the lock file, the toolchain.
    fn key(self) -> Result<u64, BuildError> {
        let source = self.source();
        if let Some(c) = self.c_toolchain() {
            let identity = [run(Command::new(c.compiler).arg("--version"))?];
            return key(&[&source, &headers()], &identity, c.args);
        }
        if self == Project::AssemblyScript {
            let identity = [
                run(Command::new("node").arg("--version"))?,
                run(Command::new("npm").arg("--version"))?,
            ];
            return key(&[&source], &identity, ASC_ARGS);
        }
        key(&[&source], &rust_identity()?, CARGO_ARGS)
    }

    /// Builds every plugin of the project into `dir`.
    fn compile(self, dir: &Path) -> Result<(), BuildError> {
        if let Some(c) = self.c_toolchain() {
            for plugin in self.plugins() {
                // emcc picks the output's kind by its extension.
                let temp = temp_path(dir, plugin.name()).with_extension("wasm");
                run(Command::new(c.compiler)
                    .args(c.args)
                    .arg("-I")
                    .arg(headers())
                    .arg("-o")
                    .arg(&temp)
                    .arg(self.source().join(format!("{}.c", plugin.source_stem()))))?;
                finish(&temp, dir, plugin.name())?;
            }
            return Ok(());
        }
        if self == Project::AssemblyScript {
            return npm_build(&self.source(), dir, self.plugins());
        }
        let names: Vec<&str> = self.plugins().map(Plugin::name).collect();
        cargo_build(&self.source(), dir, &names)
    }
}

fn check_rust_toolchain() -> Result<(), BuildError> {
    let missing: Vec<&str> = RUST_PACKAGES
        .iter()
        .filter(|(_, file)| !Path::new(file).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let all: Vec<&str> = RUST_PACKAGES.iter().map(|(package, _)| *package).collect();
    Err(BuildError(format!(
        "Rust plugins for wasm32 need Debian's wasm-capable Rust toolchain (missing here: {}): \
         install it with `apt-get install -y {}` (as root), or run `cargo xtask test`, which \
         installs it",
        missing.join(", "),
        all.join(" ")
    )))
}

fn rust_identity() -> Result<Vec<Output>, BuildError> {
    Ok(vec![
        run(Command::new(RUSTC).arg("-vV"))?,
        run(Command::new(CARGO).arg("-V"))?,
    ])
}

/// Hash of the files under `roots` (named relative to their root, so that the key does not
/// depend on where they are), the toolchain's `identity` and the build's `args`.
fn key(roots: &[&Path], identity: &[Output], args: &[&str]) -> Result<u64, BuildError> {
    let mut hash = Fnv::new();
    for root in roots {
        let mut files = Vec::new();
        walk(root, &mut files)?;
        files.sort();
        hash.field(&(files.len() as u64).to_le_bytes());
        for file in &files {
            let bytes = std::fs::read(file)
                .map_err(|e| BuildError(format!("cannot read {}: {e}", file.display())))?;
            let name = file.strip_prefix(root).unwrap_or(file);
            hash.field(name.to_string_lossy().as_bytes());
            hash.field(&bytes);
        }
    }
    for part in identity
        .iter()
        .map(|o| &o.stdout[..])
        .chain(args.iter().map(|a| a.as_bytes()))
    {
        hash.field(part);
    }
    Ok(hash.0)
}

/// Builds the examples of the cargo project in `source` and moves their `.wasm` into `dir`.
fn cargo_build(source: &Path, dir: &Path, examples: &[&str]) -> Result<(), BuildError> {
    let cargo_target = target_dir().join("test-plugins").join("cargo");
    let mut cargo = Command::new(CARGO);
    // The test run's cargo and rustup settings must not reach Debian's toolchain.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let keep = ["CARGO_HOME", "CARGO_HTTP_", "CARGO_NET_", "CARGO_REGISTR"]
            .iter()
            .any(|prefix| name.starts_with(prefix));
        let drop = [
            "CARGO",
            "RUSTC",
            "RUSTDOC",
            "RUSTFLAGS",
            "RUSTUP",
            "LD_LIBRARY_PATH",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix));
        if drop && !keep {
            cargo.env_remove(&*name);
        }
    }
    run(cargo
        .args(CARGO_ARGS)
        .arg("--manifest-path")
        .arg(source.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&cargo_target)
        .env("RUSTC", RUSTC)
        // -Zbuild-std is unstable; Debian's stable rustc allows it this way.
        .env("RUSTC_BOOTSTRAP", "1"))?;
    let built = cargo_target.join(WASM32).join("release").join("examples");
    for name in examples {
        let from = built.join(format!("{name}.wasm"));
        let temp = temp_path(dir, name);
        std::fs::copy(&from, &temp)
            .map_err(|e| BuildError(format!("cannot copy {}: {e}", from.display())))?;
        finish(&temp, dir, name)?;
    }
    Ok(())
}

/// Installs the npm project in `source` (its lock file pins every package) in a scratch copy
/// under the target directory, then compiles each plugin's `assembly/<stem>.ts` with its `asc`.
fn npm_build(
    source: &Path,
    dir: &Path,
    plugins: impl Iterator<Item = Plugin>,
) -> Result<(), BuildError> {
    let work = target_dir().join("test-plugins").join("npm");
    let fresh = |e: std::io::Error| BuildError(format!("cannot prepare {}: {e}", work.display()));
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(fresh)?;
    }
    copy_dir(source, &work)?;
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel", "error"])
        .current_dir(&work))?;
    for plugin in plugins {
        let temp = temp_path(dir, plugin.name()).with_extension("wasm");
        run(Command::new("node")
            .arg(work.join("node_modules/assemblyscript/bin/asc"))
            .arg(format!("assembly/{}.ts", plugin.source_stem()))
            .arg("-b")
            .arg(&temp)
            .args(ASC_ARGS)
            .current_dir(&work))?;
        finish(&temp, dir, plugin.name())?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), BuildError> {
    let fail = |e: std::io::Error| BuildError(format!("cannot copy {}: {e}", from.display()));
    std::fs::create_dir_all(to).map_err(fail)?;
    for entry in std::fs::read_dir(from).map_err(fail)? {
        let path = entry.map_err(fail)?.path();
        let target = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            std::fs::copy(&path, &target).map_err(fail)?;
        }
    }
    Ok(())
}

/// The generated C headers the C plugin includes.
fn headers() -> PathBuf {
    workspace().join("generated/guest/include")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The workspace's target directory, where the cache and the plugins' cargo builds live.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace().join(dir),
        None => workspace().join("target"),
    }
}

/// A file name no other build, in this process or another, writes to.
fn temp_path(dir: &Path, name: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Moves a finished module into place in one step, so readers never see half a file.
fn finish(temp: &Path, dir: &Path, name: &str) -> Result<(), BuildError> {
    let wasm = dir.join(format!("{name}.wasm"));
    std::fs::rename(temp, &wasm)
        .map_err(|e| BuildError(format!("cannot move {} into place: {e}", wasm.display())))
}

/// Runs a command; a failure carries the end of its stderr.
fn run(command: &mut Command) -> Result<Output, BuildError> {
    let shown = format!("{command:?}");
    let out = command
        .output()
        .map_err(|e| BuildError(format!("cannot run {shown}: {e}")))?;
    if out.status.success() {
        return Ok(out);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
    Err(BuildError(format!(
        "{shown} failed ({}); the end of its stderr:\n{tail}",
        out.status
    )))
}

/// Every file under `dir`, skipping build output.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), BuildError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| BuildError(format!("cannot list {}: {e}", dir.display())))?;
    for entry in entries {
        let path = entry
            .map_err(|e| BuildError(format!("cannot list {}: {e}", dir.display())))?
            .path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "target") {
                walk(&path, files)?;
            }
        } else {
            files.push(path);
        }
    }
    Ok(())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// 64-bit FNV-1a: stable across Rust versions, unlike `DefaultHasher`, so the key is too.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// Hashes a length-prefixed field, so that field boundaries count.
    fn field(&mut self, bytes: &[u8]) {
        for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}
