//! The conformance catalog of one ABI version, derived from its IR: for every host function,
//! every status code it lists (through [`recipes`]), every value of every enum parameter and the
//! first value outside the enum, every out-pointer out of bounds and straddling the end of
//! memory, every input range out of bounds and wrapping past 4 GiB, and a failing allocator for
//! every allocated result; plus fixed cases for ABI detection and the allocation convention.
//!
//! Each [`Case`] is one probe module with the scenario that drives it, a stable id named after
//! the spec item, and its checks, each with a [`Basis`]: `required` with the spec sentence it
//! cites, `reference` with the host code it follows, or `advisory`. [`obligations`] lists what
//! the IR defines, so coverage can be measured against it.

mod allocation;
mod cite;
mod effects;
mod lifecycle;
pub mod recipes;
mod semantics;
mod structure;

use crate::effects::{Effect, Observed};
use crate::{
    AllocMode, AllocatorExport, Arg, Basis, Body, BuildError, Check, ProbeBuilder, Slot, Width,
};
use proxy_wasm_interchange::protocol::Capability;
use proxy_wasm_interchange::scenario::{
    Event, GrpcReply, HttpReply, HttpStream, Message, Scenario, TcpStream,
};
use proxy_wasm_interchange::{Kind, Level};
use proxy_wasm_spec::ir::{self, Builtin, Function, Param, Role, TypeDefKind, TypeRef};
use proxy_wasm_spec::{Abi, RELEASED};
use recipes::{Out, Recipe, Site, V};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the host must do with a case's module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// Run it: every check passes and the probe reaches `END`.
    Pass,
    /// Refuse to load it.
    Refused,
}

/// One conformance case: a probe module and how to run it.
#[derive(Clone, Debug, Serialize)]
pub struct Case {
    /// Stable id, e.g. `v0.2.1/proxy_get_header_map_value/status/not_found`.
    pub id: String,
    /// The ABI version.
    pub version: String,
    /// The host function it covers, if any.
    pub function: Option<String>,
    /// What it covers.
    pub kind: Kind,
    /// The most binding level among its checks.
    pub level: Level,
    /// Every check it makes, in program order; a case the host must refuse has one check,
    /// `<id>/refused`, whose basis is the refusal's.
    pub checks: Vec<Check>,
    /// One line saying what is checked.
    pub description: String,
    /// The obligations (see [`Obligation::key`]) it discharges.
    pub covers: Vec<String>,
    /// Host capabilities it needs beyond logging (`http`, `http_calls`, `grpc`, ...).
    pub needs: Vec<Capability>,
    /// What the host must do.
    pub expect: Expect,
    /// Checks judged from what the host reports of the stream's exchanges (an adapter's
    /// `upstream_request` and `http_response` events) rather than from the probe's log.
    pub observed: Vec<Observed>,
    /// The probe module.
    #[serde(skip)]
    pub wasm: Vec<u8>,
    /// The scenario (the reference host's format) that drives it.
    pub scenario: Scenario,
}

impl Case {
    /// Its checks at `level` or more binding.
    pub fn checks_at(&self, level: Level) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(move |c| c.basis.level() <= level)
    }

    /// The check a refusal case stands for.
    pub fn refusal_check(id: &str) -> String {
        format!("{id}/refused")
    }
}

/// The most binding level among `checks` (advisory when there are none).
fn strongest(checks: &[Check]) -> Level {
    checks
        .iter()
        .map(|c| c.basis.level())
        .min()
        .unwrap_or(Level::Advisory)
}

/// Something the IR obliges a host to do, and whether a case checks it.
#[derive(Clone, Debug, Serialize)]
pub struct Obligation {
    /// The function.
    pub function: String,
    /// Its kind.
    pub kind: Kind,
    /// `function/what`, as case ids spell it after the version.
    pub key: String,
    /// Why no probe can check it, if none can.
    pub exception: Option<&'static str>,
}

/// Every case of `version`.
pub fn catalog(version: &str) -> Result<Vec<Case>, BuildError> {
    let Ok(abi) = proxy_wasm_spec::builtin(version) else {
        return Err(BuildError {
            probe: format!("v{version}"),
            problems: vec![format!("no built-in ABI {version}")],
        });
    };
    let mut cases = Vec::new();
    for f in &abi.functions {
        function_cases(&abi, version, f, &mut cases)?;
    }
    detection_cases(&abi, version, &mut cases)?;
    allocation::cases(&abi, version, &mut cases)?;
    lifecycle::cases(&abi, version, &mut cases)?;
    semantics::cases(&abi, version, &mut cases)?;
    structure::cases(&abi, version, &mut cases)?;
    effects::cases(&abi, version, &mut cases)?;
    Ok(cases)
}

/// What the IR of `version` obliges a host to do.
pub fn obligations(version: &str) -> Vec<Obligation> {
    let Ok(abi) = proxy_wasm_spec::builtin(version) else {
        return Vec::new();
    };
    let mut all = Vec::new();
    for f in &abi.functions {
        let mut push = |kind, what: String, exception| {
            all.push(Obligation {
                function: f.name.clone(),
                kind,
                key: format!("{}/{what}", f.name),
                exception,
            });
        };
        for (i, s) in f.statuses.iter().enumerate() {
            let exception = recipes::exception(&f.name, &s.code, &s.condition);
            push(Kind::Status, status_key(f, i), exception);
        }
        let ok_recipe =
            success(f).and_then(|ok| applicable(&abi, f, recipes::recipes(&f.name, &ok.code, 0)));
        for p in &f.params {
            if let Some((values, invalid)) = enum_values(&abi, f, p) {
                for (name, _) in values {
                    let fixed = ok_recipe.as_ref().is_none_or(|r| {
                        member_case(&abi, f, p, &name, r).is_ok_and(|e| e.is_some())
                    });
                    let exception = (!fixed).then_some(
                        "the map or buffer is read-only wherever it is available (or no recipe \
                         runs where it is), and the IR names no status for writing it",
                    );
                    push(Kind::Enum, format!("{}/value/{name}", p.name), exception);
                }
                if invalid.is_some() {
                    push(Kind::Enum, format!("{}/invalid", p.name), None);
                }
            }
            let faults = if fault_status(f).is_some() {
                pointer_faults(p)
            } else {
                &[]
            };
            for bad in faults {
                let kind = if p.direction == ir::Direction::Out {
                    Kind::OutPointer
                } else {
                    Kind::InputPointer
                };
                push(kind, format!("{}/{bad}", p.name), None);
            }
        }
        if has_alloc(f) {
            let exception = (f.name == "proxy_get_status")
                .then(|| recipes::exception(&f.name, "invalid_memory_access", "allocator"))
                .flatten()
                .or_else(|| recipes::allocator_exception(&f.name));
            push(Kind::Allocation, "allocator/returns_zero".into(), exception);
        }
    }
    all
}

/// `status/<code>`, with `.2`, `.3`... for later cases of the same code.
fn status_key(f: &Function, index: usize) -> String {
    let code = &f.statuses[index].code;
    let nth = f.statuses[..index]
        .iter()
        .filter(|s| &s.code == code)
        .count();
    if nth == 0 {
        format!("status/{code}")
    } else {
        format!("status/{code}.{}", nth + 1)
    }
}

/// The faults a pointer parameter is probed with.
fn pointer_faults(p: &Param) -> &'static [&'static str] {
    match p.role {
        Role::InputData => &["out_of_bounds", "wrapping"],
        Role::OutValue | Role::AllocData | Role::AllocLength | Role::FillData => {
            &["out_of_bounds", "straddling_end"]
        }
        _ => &[],
    }
}

/// The status a function answers bad pointers with, if it lists one.
fn fault_status(f: &Function) -> Option<usize> {
    f.statuses
        .iter()
        .position(|s| s.code == "invalid_memory_access" || s.code == "fault")
}

fn has_alloc(f: &Function) -> bool {
    f.params.iter().any(|p| p.role == Role::AllocData)
}

type Members = Vec<(String, i64)>;

/// An enum parameter's members and, when the IR says how a number outside them fails, the first
/// such number (the smallest non-negative one) with the status.
fn enum_values(abi: &Abi, f: &Function, p: &Param) -> Option<(Members, Option<(i64, String)>)> {
    if p.role != Role::Value || f.statuses.is_empty() {
        return None;
    }
    let TypeRef::Named { name } = abi.resolve(&p.ty) else {
        return None;
    };
    let Some(TypeDefKind::Enum { values, .. }) = abi.type_def(name).map(|t| &t.def) else {
        return None;
    };
    let members: Members = values.iter().map(|v| (v.name.clone(), v.value)).collect();
    let invalid = match &p.invalid {
        Some(ir::Invalid::Status { code, .. }) => {
            let first = (0..).find(|n| !members.iter().any(|(_, v)| v == n))?;
            Some((first, code.clone()))
        }
        _ => None,
    };
    Some((members, invalid))
}

fn code_value(f: &Function, code: &str) -> Option<i64> {
    f.statuses.iter().find(|s| s.code == code).map(|s| s.value)
}

/// The status code meaning success for `f`: `ok` or WASI's `success`.
fn success(f: &Function) -> Option<&ir::StatusCase> {
    f.statuses
        .iter()
        .find(|s| s.code == "ok" || s.code == "success")
}

/// A change the case makes to the recipe's call.
#[derive(Clone, Copy)]
enum Change<'a> {
    None,
    Value(&'a str, i64),
    Pointer(&'a str, &'static str),
    Allocator,
}

/// The bases of a generic case's checks.
struct Bases {
    /// Of the status check.
    status: Basis,
    /// Of the outputs checked on success; `None`: they are not checked.
    effect: Option<Basis>,
}

/// What the case expects of the call.
enum Want {
    /// This status; with outputs checked on success, out-slots untouched on failure (an
    /// advisory check).
    Status(i64),
    /// One of these statuses.
    Any(Vec<i64>),
}

fn function_cases(
    abi: &Abi,
    version: &str,
    f: &Function,
    cases: &mut Vec<Case>,
) -> Result<(), BuildError> {
    // A function of a host without files may have no success at all (fd_read: nosys); its
    // statuses are probed all the same.
    if f.statuses.is_empty() {
        return Ok(());
    }
    let prefix = format!("v{version}/{}", f.name);
    let fail = |problem: String| BuildError {
        probe: prefix.clone(),
        problems: vec![problem],
    };
    let ok_recipe =
        success(f).and_then(|ok| applicable(abi, f, recipes::recipes(&f.name, &ok.code, 0)));
    // Status codes with their own recipes.
    for (i, s) in f.statuses.iter().enumerate() {
        let key = status_key(f, i);
        let nth = key
            .rsplit_once('.')
            .and_then(|(_, n)| n.parse::<usize>().ok());
        let nth = nth.map_or(0, |n| n - 1);
        let Some(recipe) = applicable(abi, f, recipes::recipes(&f.name, &s.code, nth)) else {
            continue;
        };
        // A reference-level status carries its own (verified) source; a spec-level one reached
        // through host behaviour names the recipe's.
        let bases = match (s.level, recipe.reference) {
            (ir::Level::Reference, _) => {
                let basis = cite::status(s, &f.name).map_err(fail)?;
                Bases {
                    status: basis.clone(),
                    effect: Some(basis),
                }
            }
            (ir::Level::Spec, Some(source)) => Bases {
                status: Basis::reference(source),
                effect: Some(Basis::reference(source)),
            },
            (ir::Level::Spec, None) => Bases {
                status: cite::status(s, &f.name).map_err(fail)?,
                effect: Some(
                    cite::effect(f, "on success it writes the requested result").map_err(fail)?,
                ),
            },
        };
        let description = format!("{}: {} when {}", f.name, s.code, s.condition);
        cases.push(build(
            abi,
            version,
            f,
            &format!("{prefix}/{key}"),
            Kind::Status,
            description,
            vec![key],
            &recipe,
            Change::None,
            Want::Status(s.value),
            bases,
        )?);
    }
    // A function that never succeeds (fd_readdir: notdir) takes its pointers' faults from the
    // recipe of its answer instead.
    let answer = || {
        f.statuses
            .iter()
            .filter(|s| s.value != 0)
            .find_map(|s| applicable(abi, f, recipes::recipes(&f.name, &s.code, 0)))
    };
    let Some(ok_recipe) = ok_recipe.or_else(answer) else {
        return Ok(());
    };
    // Enum parameters: every member does what it means where the recipe runs, the first
    // number outside is refused.
    for p in &f.params {
        let Some((members, invalid)) = enum_values(abi, f, p) else {
            continue;
        };
        for (name, value) in &members {
            let Some((recipe, want, basis)) =
                member_case(abi, f, p, name, &ok_recipe).map_err(fail)?
            else {
                continue;
            };
            let key = format!("{}/value/{name}", p.name);
            cases.push(build(
                abi,
                version,
                f,
                &format!("{prefix}/{key}"),
                Kind::Enum,
                format!(
                    "{}: `{}` = {name} ({value}) does what it names in {}",
                    f.name,
                    p.name,
                    recipe.site.callback()
                ),
                vec![key],
                &recipe,
                Change::Value(&p.name, *value),
                want,
                Bases {
                    status: basis,
                    effect: None,
                },
            )?);
        }
        if let Some((number, code)) = invalid {
            let Some(expected) = code_value(f, &code) else {
                continue;
            };
            let key = format!("{}/invalid", p.name);
            let mut covers = vec![key.clone()];
            let named = f
                .statuses
                .iter()
                .position(|s| s.code == code && s.condition.contains(&p.name));
            if let Some(i) = named {
                covers.push(status_key(f, i));
            }
            let refusal = named
                .and_then(|i| f.statuses.get(i))
                .or_else(|| f.statuses.iter().find(|s| s.code == code));
            let Some(refusal) = refusal else {
                continue;
            };
            cases.push(build(
                abi,
                version,
                f,
                &format!("{prefix}/{key}"),
                Kind::Enum,
                format!(
                    "{}: `{}` = {number}, outside the enum, fails with {code}",
                    f.name, p.name
                ),
                covers,
                &ok_recipe,
                Change::Value(&p.name, number),
                Want::Status(expected),
                Bases {
                    status: cite::status(refusal, &f.name).map_err(fail)?,
                    effect: None,
                },
            )?);
        }
    }
    // Pointers: every out-pointer and input range that leaves memory fails.
    if let Some(fault) = fault_status(f) {
        let code = f.statuses[fault].value;
        let status = cite::status(&f.statuses[fault], &f.name).map_err(fail)?;
        for p in &f.params {
            let kind = if p.direction == ir::Direction::Out {
                Kind::OutPointer
            } else {
                Kind::InputPointer
            };
            for bad in pointer_faults(p) {
                let key = format!("{}/{bad}", p.name);
                cases.push(build(
                    abi,
                    version,
                    f,
                    &format!("{prefix}/{key}"),
                    kind,
                    format!("{}: `{}` {}", f.name, p.name, bad.replace('_', " ")),
                    vec![key, status_key(f, fault)],
                    &ok_recipe,
                    Change::Pointer(&p.name, bad),
                    Want::Status(code),
                    Bases {
                        status: status.clone(),
                        effect: None,
                    },
                )?);
            }
        }
    }
    // Allocated results: an allocator that returns 0 makes the call fail (when the recipe's
    // result is not empty: empty results are not allocated).
    let allocates = ok_recipe.outputs.iter().any(|(_, out)| {
        matches!(out, Out::Allocated) || matches!(out, Out::Bytes(b) if !b.is_empty())
    });
    let by_allocator = f
        .statuses
        .iter()
        .position(|s| s.code == "invalid_memory_access" && s.condition.contains("allocator"));
    if has_alloc(f)
        && allocates
        && recipes::allocator_exception(&f.name).is_none()
        && let Some(i) = by_allocator
    {
        let key = "allocator/returns_zero".to_string();
        let s = &f.statuses[i];
        cases.push(build(
            abi,
            version,
            f,
            &format!("{prefix}/{key}"),
            Kind::Allocation,
            format!(
                "{}: an allocator that returns 0 fails the call with {}",
                f.name, s.code
            ),
            vec![key, status_key(f, i)],
            &ok_recipe,
            Change::Allocator,
            Want::Status(s.value),
            Bases {
                status: cite::status(s, &f.name).map_err(fail)?,
                effect: None,
            },
        )?);
    }
    Ok(())
}

/// The recipe for a case of enum member `member` of `p`, what it must return and why: the
/// success recipe where it runs, or else the same calls in a callback where the member's map
/// or buffer is available; `None` when nothing fixes the answer anywhere a recipe can run.
fn member_case(
    abi: &Abi,
    f: &Function,
    p: &Param,
    member: &str,
    ok: &Recipe,
) -> Result<Option<(Recipe, Want, Basis)>, String> {
    if let Some((want, basis)) = member_expectation(abi, f, p, member, ok)? {
        return Ok(Some((ok.clone(), want, basis)));
    }
    let available = member_def(abi, p, member).map_or(Vec::new(), |m| m.available_in.clone());
    for site in available
        .iter()
        .filter_map(|a| Site::of_callback(&a.callback))
    {
        if abi.callback(site.callback()).is_none() {
            continue;
        }
        let moved = Recipe { site, ..ok.clone() };
        if let Some((want, basis)) = member_expectation(abi, f, p, member, &moved)? {
            return Ok(Some((moved, want, basis)));
        }
    }
    Ok(None)
}

/// What a call with enum member `member` of `p` must return where `recipe` runs, and why;
/// `None` when nothing fixes it there.
///
/// A member naming a map or buffer the recipe's callback has (with the access the function
/// needs) must succeed; one it lacks must get the status the IR gives for an unavailable map
/// or buffer. A member of an enum without availability must succeed or fail only with a
/// spec-level status other than the refusal of unknown numbers and memory faults (e.g.
/// `proxy_continue_stream`'s UNIMPLEMENTED). `INTERNAL_FAILURE` never passes.
fn member_expectation(
    abi: &Abi,
    f: &Function,
    p: &Param,
    member: &str,
    recipe: &Recipe,
) -> Result<Option<(Want, Basis)>, String> {
    let Some(ok) = success(f) else {
        return Ok(None);
    };
    let available = member_def(abi, p, member).map_or(Vec::new(), |m| m.available_in.clone());
    let site = recipe.site.callback();
    let writes = ["_set_", "_add_", "_replace_", "_remove_"]
        .iter()
        .any(|w| f.name.contains(w));
    let usable = available
        .iter()
        .any(|a| a.callback == site && (!writes || a.access == ir::Access::ReadWrite));
    let accepted = |requires: &str| -> Result<Basis, String> {
        Ok(match cite::status(ok, &f.name)? {
            Basis::Required { spec, .. } => Basis::required(
                spec,
                format!("`{}` with `{}` = {member} {requires}", f.name, p.name),
            ),
            other => other,
        })
    };
    if available.is_empty() {
        let refusal = match &p.invalid {
            Some(ir::Invalid::Status { code, .. }) => Some(code.as_str()),
            _ => None,
        };
        let allowed = dedup(
            f.statuses
                .iter()
                // A reference-level function's statuses are all reference-level.
                .filter(|s| s.level == ir::Level::Spec || f.level == ir::Level::Reference)
                // The answer of a host that withholds the function is no answer.
                .filter(|s| !s.condition.contains("has not granted"))
                .filter(|s| Some(s.code.as_str()) != refusal)
                .filter(|s| !matches!(s.code.as_str(), "invalid_memory_access" | "fault"))
                .filter(|s| s.code != "internal_failure")
                .map(|s| s.value),
        );
        let basis = accepted("is accepted: it succeeds, or fails only as the spec allows")?;
        return Ok(Some((Want::Any(allowed), basis)));
    }
    if usable {
        let basis = accepted(&format!(
            "succeeds in {site}, where that map or buffer exists"
        ))?;
        return Ok(Some((Want::Status(ok.value), basis)));
    }
    let unavailable = f
        .statuses
        .iter()
        .find(|s| s.level == ir::Level::Reference && s.condition.contains("not available"));
    match unavailable {
        Some(s) => Ok(Some((Want::Status(s.value), cite::status(s, &f.name)?))),
        None => Ok(None),
    }
}

fn member_def<'a>(abi: &'a Abi, p: &Param, name: &str) -> Option<&'a ir::EnumValue> {
    let TypeRef::Named { name: ty } = abi.resolve(&p.ty) else {
        return None;
    };
    match abi.type_def(ty).map(|t| &t.def) {
        Some(TypeDefKind::Enum { values, .. }) => values.iter().find(|v| v.name == name),
        _ => None,
    }
}

fn dedup(values: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The first recipe whose enum members all exist in this version.
fn applicable(abi: &Abi, f: &Function, recipes: Vec<Recipe>) -> Option<Recipe> {
    recipes.into_iter().find(|r| {
        let calls = r.setup.iter().chain([&r.call]);
        calls.into_iter().all(|c| {
            let Some(target) = abi.function(c.function) else {
                return false;
            };
            c.args.iter().all(|(name, v)| match v {
                V::Member(m) => target
                    .params
                    .iter()
                    .find(|p| p.name == *name)
                    .is_some_and(|p| member(abi, p, m).is_some()),
                _ => true,
            })
        }) && abi.function(&f.name).is_some()
    })
}

fn member(abi: &Abi, p: &Param, name: &str) -> Option<i64> {
    let TypeRef::Named { name: ty } = abi.resolve(&p.ty) else {
        return None;
    };
    match abi.type_def(ty).map(|t| &t.def) {
        Some(TypeDefKind::Enum { values, .. }) => {
            values.iter().find(|v| v.name == name).map(|v| v.value)
        }
        _ => None,
    }
}

/// The width of the value an out-pointer receives.
fn width(abi: &Abi, p: &Param) -> Width {
    let TypeRef::Pointer { to } = &p.ty else {
        return Width::U32;
    };
    let repr = match abi.resolve(to) {
        TypeRef::Builtin { name } => Some(*name),
        TypeRef::Named { name } => match abi.type_def(name).map(|t| &t.def) {
            Some(TypeDefKind::Enum { repr, .. } | TypeDefKind::Flags { repr, .. }) => Some(*repr),
            _ => None,
        },
        _ => None,
    };
    match repr {
        Some(Builtin::U64 | Builtin::S64) => Width::U64,
        Some(Builtin::U16 | Builtin::S16) => Width::U16,
        _ => Width::U32,
    }
}

/// The scenario every probe runs with: the configuration, scripted upstreams and foreign
/// function the recipes use, and the stream, connection or call into the plugin the site
/// needs.
fn scenario(site: Site) -> Scenario {
    let text = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let reply = HttpReply {
        headers: text(&[(":status", "200")]),
        body: "reply".into(),
        ..HttpReply::default()
    };
    let grpc = GrpcReply {
        messages: vec!["pong".into()],
        ..GrpcReply::default()
    };
    let mut s = Scenario {
        plugin_configuration: recipes::PLUGIN_CONFIGURATION.into(),
        upstreams: [(recipes::UPSTREAM.into(), vec![reply.clone(), reply])].into(),
        grpc_upstreams: [(recipes::GRPC_UPSTREAM.into(), vec![grpc.clone(), grpc])].into(),
        foreign_functions: [(
            recipes::FOREIGN_FUNCTION.0.into(),
            recipes::FOREIGN_FUNCTION.1.into(),
        )]
        .into(),
        // Something for environ_get to write, so its bad pointers show.
        environment: vec!["PWTCK=1".into()],
        ..Scenario::default()
    };
    s.events = match site {
        Site::VmStart => {
            s.vm_configuration = recipes::VM_CONFIGURATION.into();
            Vec::new()
        }
        Site::ForeignFunction => vec![Event::ForeignFunction {
            id: 1,
            data: "pwtck-arguments".into(),
        }],
        Site::DownstreamData | Site::UpstreamData => vec![Event::Tcp(TcpStream {
            downstream: vec!["ping".into()],
            upstream: vec!["pong".into()],
        })],
        Site::RequestHeaders | Site::RequestBody | Site::ResponseBody => {
            vec![Event::Http(HttpStream {
                request: Message {
                    headers: text(&[
                        (":path", recipes::PATH),
                        (":method", "GET"),
                        (":authority", "example.com"),
                        ("x-pwtck", "one"),
                    ]),
                    body: vec![recipes::BODY.into()],
                    ..Message::default()
                },
                response: Message {
                    headers: text(&[(":status", "200")]),
                    body: vec!["ok".into()],
                    ..Message::default()
                },
                ..HttpStream::default()
            })]
        }
        _ => Vec::new(),
    };
    s
}

/// Builds one case's module: set-up calls, the call under test (changed as the case says), and
/// its checks, in the recipe's site.
#[allow(clippy::too_many_arguments)]
fn build(
    abi: &Abi,
    version: &str,
    f: &Function,
    id: &str,
    kind: Kind,
    description: String,
    covers: Vec<String>,
    recipe: &Recipe,
    change: Change<'_>,
    want: Want,
    bases: Bases,
) -> Result<Case, BuildError> {
    let mut probe = ProbeBuilder::new(abi, id);
    if let Change::Allocator = change {
        probe.allocator(
            &[AllocatorExport::ProxyOnMemoryAllocate],
            AllocMode::ReturnZero,
        );
    }
    let mut problems = Vec::new();
    let ran = recipe.site.repeats().then(|| zeroed(&mut probe));
    let mut run = |b: &mut Body<'_, '_>| {
        let mut outs: BTreeMap<(usize, String), Slot> = BTreeMap::new();
        for (n, setup) in recipe.setup.iter().enumerate() {
            let Some(target) = abi.function(setup.function) else {
                problems.push(format!("no function {}", setup.function));
                return;
            };
            let (args, slots) = arguments(abi, b, target, &setup.args, &outs, Change::None);
            for (name, slot) in slots {
                outs.insert((n, name), slot);
            }
            b.call(setup.function, &args);
        }
        let (args, slots) = arguments(abi, b, f, &recipe.call.args, &outs, change);
        let status = b.call(&f.name, &args);
        let check = |what: &str| format!("{id}/{what}");
        b.because(bases.status.clone());
        match &want {
            Want::Status(code) => {
                b.expect_status(&check("status"), status, *code);
                let succeeded = success(f).is_some_and(|s| s.value == *code);
                if succeeded {
                    if let Some(effect) = &bases.effect {
                        outputs(abi, b, f, recipe, &slots, &check, effect);
                        for (n, then) in recipe.then.iter().enumerate() {
                            let target = abi.function(then.call.function);
                            let Some((target, code)) =
                                target.and_then(|t| code_value(t, then.code).map(|c| (t, c)))
                            else {
                                continue;
                            };
                            let (args, _) =
                                arguments(abi, b, target, &then.call.args, &outs, Change::None);
                            let after = b.call(then.call.function, &args);
                            let basis = match effect {
                                Basis::Required { spec, .. } => Basis::required(
                                    spec.clone(),
                                    format!("`{}`: {}", f.name, then.effect),
                                ),
                                other => other.clone(),
                            };
                            b.because(basis).expect_status(
                                &check(&format!("effect_{n}/status")),
                                after,
                                code,
                            );
                        }
                    }
                } else {
                    for (name, slot) in &slots {
                        b.because(Basis::advisory(cite::UNTOUCHED))
                            .expect_slot_untouched(&check(&format!("{name}/untouched")), *slot);
                    }
                }
            }
            Want::Any(codes) => {
                b.expect_status_in(&check("status"), status, codes);
            }
        }
        b.end();
    };
    probe.callback(recipe.site.callback(), |b| match ran {
        Some(ran) => once_with_data(b, ran, run),
        None => run(b),
    });
    // The call whose response callback the recipe runs in.
    let callout = match recipe.site {
        Site::HttpCallResponse => Some(("proxy_http_call", recipes::http_call_args())),
        Site::GrpcReceive => Some(("proxy_grpc_call", recipes::grpc_call_args())),
        _ => None,
    };
    if let Some((function, call_args)) = callout {
        probe.callback("proxy_on_configure", |b| {
            let Some(target) = abi.function(function) else {
                problems.push(format!("no function {function}"));
                return;
            };
            let (args, _) = arguments(abi, b, target, &call_args, &BTreeMap::new(), Change::None);
            b.call(function, &args);
        });
    }
    let mut needs = recipe.needs.clone();
    needs.extend(recipe.site.needs());
    if !problems.is_empty() {
        return Err(BuildError {
            probe: id.to_string(),
            problems,
        });
    }
    let (wasm, checks) = probe.finish_checked()?;
    Ok(Case {
        id: id.to_string(),
        version: version.to_string(),
        function: Some(f.name.clone()),
        kind,
        level: strongest(&checks),
        checks,
        description,
        covers,
        needs,
        expect: Expect::Pass,
        observed: Vec::new(),
        wasm,
        scenario: scenario(recipe.site),
    })
}

/// Checks what a successful call wrote, where the recipe says.
fn outputs(
    abi: &Abi,
    b: &mut Body<'_, '_>,
    f: &Function,
    recipe: &Recipe,
    slots: &[(String, Slot)],
    check: &dyn Fn(&str) -> String,
    basis: &Basis,
) {
    let slot = |name: &str| slots.iter().find(|(n, _)| n == name).map(|(_, s)| *s);
    for (name, out) in &recipe.outputs {
        let Some(p) = f.params.iter().find(|p| p.name == *name) else {
            continue;
        };
        match out {
            Out::Bytes(bytes) => {
                let (Some(ptr), Some(len)) = (slot(name), p.pair.as_deref().and_then(slot)) else {
                    continue;
                };
                b.because(basis.clone()).expect_bytes(
                    &check(&format!("{name}/value")),
                    ptr,
                    len,
                    bytes,
                );
            }
            Out::Allocated => {}
            Out::Number(n) => {
                let Some(s) = slot(name) else { continue };
                b.because(basis.clone());
                match width(abi, p) {
                    Width::U16 => b.expect_slot_u16(
                        &check(&format!("{name}/value")),
                        s,
                        u16::try_from(*n).unwrap_or(u16::MAX),
                    ),
                    Width::U32 => b.expect_slot_u32(
                        &check(&format!("{name}/value")),
                        s,
                        u32::try_from(*n).unwrap_or(u32::MAX),
                    ),
                    Width::U64 => b.expect_slot_u64(&check(&format!("{name}/value")), s, *n),
                };
            }
        }
    }
}

/// The wasm arguments of a call to `f`, and the out-slots passed, by parameter name.
fn arguments(
    abi: &Abi,
    b: &mut Body<'_, '_>,
    f: &Function,
    values: &[(&'static str, V)],
    outs: &BTreeMap<(usize, String), Slot>,
    change: Change<'_>,
) -> (Vec<Arg>, Vec<(String, Slot)>) {
    let value_of = |name: &str| values.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
    let mut args = Vec::new();
    let mut slots = Vec::new();
    let fault = |name: &str| match change {
        Change::Pointer(p, bad) if p == name => Some(bad),
        _ => None,
    };
    for p in &f.params {
        let wide = p.wasm_types.first() == Some(&ir::WasmType::I64);
        let number = |n: i64| {
            if wide {
                Arg::I64(n)
            } else {
                Arg::I32(n as i32)
            }
        };
        match p.role {
            Role::Value | Role::FillLength => {
                if let Change::Value(name, n) = change
                    && name == p.name
                {
                    args.push(number(n));
                    continue;
                }
                let arg = match value_of(&p.name) {
                    Some(V::Int(n)) => number(*n),
                    Some(V::Member(m)) => number(member(abi, p, m).unwrap_or(0)),
                    Some(V::Context) => Arg::Param(0),
                    Some(V::From(n, name)) => match outs.get(&(*n, name.to_string())) {
                        Some(slot) => Arg::Load(*slot),
                        None => number(0),
                    },
                    _ if p.role == Role::FillLength => {
                        // The size of the region given for the paired buffer.
                        let size = p.pair.as_deref().and_then(value_of).map_or(0, |v| match v {
                            V::Region(n) => i64::from(*n),
                            V::Bytes(bytes) => bytes.len() as i64,
                            _ => 0,
                        });
                        number(size)
                    }
                    _ => number(0),
                };
                args.push(arg);
            }
            Role::InputData => {
                let data = match value_of(p.name.trim_end_matches("_data"))
                    .or_else(|| value_of(&p.name))
                {
                    Some(V::Bytes(bytes)) => Some((b.data(bytes), 0)),
                    Some(V::Iovec(text)) => {
                        let text = b.data(text);
                        let mut record = text.addr.to_le_bytes().to_vec();
                        record.extend_from_slice(&text.len.to_le_bytes());
                        Some((b.data(&record), 1))
                    }
                    Some(V::IovecAt(ptr, len)) => {
                        let mut record = ptr.to_le_bytes().to_vec();
                        record.extend_from_slice(&len.to_le_bytes());
                        Some((b.data(&record), 1))
                    }
                    _ => None,
                };
                let (ptr, len) = match (fault(&p.name), data) {
                    (Some("out_of_bounds"), _) => (Arg::MemEnd(16), Arg::I32(4)),
                    (Some(_), _) => (Arg::u32(0xffff_fff0), Arg::I32(0x20)),
                    (None, Some((d, 0))) => (Arg::u32(d.addr), Arg::u32(d.len)),
                    (None, Some((d, count))) => (Arg::u32(d.addr), Arg::I32(count)),
                    (None, None) => (Arg::I32(0), Arg::I32(0)),
                };
                args.push(ptr);
                args.push(len);
            }
            Role::InputLength => {}
            Role::OutValue | Role::AllocData | Role::AllocLength | Role::FillData => {
                let w = width(abi, p);
                match (fault(&p.name), value_of(&p.name)) {
                    (Some("out_of_bounds"), _) => args.push(Arg::MemEnd(16)),
                    (Some(_), _) => args.push(Arg::MemEnd(-(w.bytes() as i32) / 2)),
                    (None, Some(V::Region(n))) => {
                        let region = b.data(&vec![0; *n as usize]);
                        args.push(Arg::u32(region.addr));
                    }
                    (None, Some(V::MemEnd(offset))) => args.push(Arg::MemEnd(*offset)),
                    _ if p.role == Role::FillData => {
                        let region = b.data(&[0; 64]);
                        args.push(Arg::u32(region.addr));
                    }
                    _ => {
                        let slot = b.slot(w);
                        slots.push((p.name.clone(), slot));
                        args.push(Arg::Slot(slot));
                    }
                }
            }
        }
    }
    (args, slots)
}

/// What a hand-written case is, apart from its module and scenario.
struct Fixed<'s> {
    /// The id after the version, e.g. `lifecycle/root`.
    what: &'s str,
    kind: Kind,
    description: &'s str,
    needs: &'s [Capability],
    /// Run it, or (with the refusal's basis) refuse it.
    expect: Expect,
    /// Why the host must refuse it, for [`Expect::Refused`].
    refusal: Option<Basis>,
}

impl Fixed<'_> {
    /// The case whose probe `build` writes, given the builder and the case id.
    fn case(
        &self,
        abi: &Abi,
        version: &str,
        scenario: Scenario,
        build: impl FnOnce(&mut ProbeBuilder<'_>, &str),
    ) -> Result<Case, BuildError> {
        let id = format!("v{version}/{}", self.what);
        let mut probe = ProbeBuilder::new(abi, &id);
        build(&mut probe, &id);
        let (wasm, mut checks) = probe.finish_checked()?;
        match (self.expect, &self.refusal) {
            (Expect::Refused, Some(basis)) => checks.push(Check {
                id: Case::refusal_check(&id),
                basis: basis.clone(),
            }),
            (Expect::Refused, None) => {
                return Err(BuildError {
                    probe: id,
                    problems: vec!["a case the host must refuse needs the refusal's basis".into()],
                });
            }
            (Expect::Pass, _) => {}
        }
        Ok(Case {
            version: version.to_string(),
            function: None,
            kind: self.kind,
            level: strongest(&checks),
            checks,
            description: self.description.to_string(),
            covers: Vec::new(),
            needs: self.needs.to_vec(),
            expect: self.expect,
            observed: Vec::new(),
            wasm,
            scenario,
            id,
        })
    }
}

impl Case {
    /// Adds checks judged from the host's report of the stream's exchanges: each `(name,
    /// effect, basis)` becomes check `<id>/<name>`.
    fn observing(mut self, effects: Vec<(&str, Effect, Basis)>) -> Case {
        for (name, effect, basis) in effects {
            let check = format!("{}/{name}", self.id);
            self.checks.push(Check {
                id: check.clone(),
                basis,
            });
            self.observed.push(Observed { check, effect });
        }
        self.level = strongest(&self.checks);
        self
    }
}

/// Runs what `then` writes in the first call of a body or data callback that carries data (its
/// second parameter, the size, is not 0), once: hosts deliver a body in one call or several,
/// the last of them possibly empty with only end_of_stream (Envoy over HTTP/1), and a check must
/// report once. `ran` is a [`zeroed`] flag.
fn once_with_data<'p, 'a>(b: &mut Body<'p, 'a>, ran: Slot, then: impl FnOnce(&mut Body<'p, 'a>)) {
    let first = b.equal(Arg::Load(ran), Arg::I32(0));
    b.branch(
        first,
        |b| {
            let empty = b.equal(Arg::Param(1), Arg::I32(0));
            b.branch(
                empty,
                |_| {},
                |b| {
                    b.store(ran, Arg::I32(1));
                    then(b);
                },
            );
        },
        |_| {},
    );
}

/// A u32 slot that starts at 0 rather than the sentinel: a counter or flag across callbacks.
fn zeroed(probe: &mut ProbeBuilder<'_>) -> Slot {
    Slot {
        addr: probe.data(&[0; 4]).addr,
        width: Width::U32,
    }
}

/// The value of a status code of host function `function`, if it lists that code.
fn status_of(abi: &Abi, function: &str, code: &str) -> Option<i64> {
    abi.function(function).and_then(|f| code_value(f, code))
}

/// Where proxy-wasm-cpp-host refuses a module without a known marker.
const CPP_HOST_UNKNOWN_ABI: &str =
    "proxy-wasm-cpp-host src/wasm.cc WasmBase::load (an unknown ABI version fails the load)";
/// Where proxy-wasm-cpp-host links host functions per ABI version.
const CPP_HOST_PER_VERSION: &str = "proxy-wasm-cpp-host src/wasm.cc \
     WasmBase::registerCallbacks (the functions of the module's ABI version only; the import \
     of another version's fails to link)";

/// ABI detection: a module without a marker, or with an unknown one, is refused; every host
/// function of the version links; a function only other versions have does not.
fn detection_cases(abi: &Abi, version: &str, cases: &mut Vec<Case>) -> Result<(), BuildError> {
    let refused = |what, description| Fixed {
        what,
        kind: Kind::Detection,
        description,
        // An adapter that cannot tell a refusal from a run cannot judge these.
        needs: &[Capability::Refusal],
        expect: Expect::Refused,
        refusal: Some(Basis::reference(CPP_HOST_UNKNOWN_ABI)),
    };
    for (what, markers, description) in [
        (
            "detection/no_marker",
            vec![],
            "a module exporting no proxy_abi_version_* marker is refused",
        ),
        (
            "detection/unknown_marker",
            vec!["proxy_abi_version_9_9_9"],
            "a module whose only marker names an unknown version is refused",
        ),
    ] {
        let fixed = refused(what, description);
        cases.push(fixed.case(abi, version, scenario(Site::Configure), |p, _| {
            p.markers(&markers);
            p.callback("proxy_on_configure", |b| {
                b.end();
            });
        })?);
    }
    let all = Fixed {
        what: "detection/all_imports",
        kind: Kind::Detection,
        description: "a module importing every host function the spec text of its version                       lists loads and runs",
        needs: &[],
        expect: Expect::Pass,
        refusal: None,
    };
    cases.push(all.case(abi, version, scenario(Site::Configure), |p, id| {
        for f in abi.functions.iter().filter(|f| f.level == ir::Level::Spec) {
            p.import_function(f);
        }
        p.callback("proxy_on_configure", |b| {
            b.because(cite::HOST_FUNCTIONS_REQUIRED.basis(version))
                .expect_value(&format!("{id}/ran"), Arg::I32(1), 1)
                .end();
        });
    })?);
    // A host module served under another import module name too (WASI as `wasi_unstable`):
    // every function of it links under that name, and a call through it is answered.
    for m in abi.modules.iter().filter(|m| m.side == ir::Side::Host) {
        for alias in &m.aliases {
            let what = format!("detection/also_import_module/{}", alias.name);
            let description = format!(
                "a module importing the spec's functions of {} (and sched_yield) from {} instead \
                 loads, and its calls are answered",
                m.import_module, alias.name
            );
            let fixed = Fixed {
                what: &what,
                kind: Kind::Detection,
                description: &description,
                needs: &[],
                expect: Expect::Pass,
                refusal: None,
            };
            let basis = Basis::reference(&alias.reference);
            cases.push(
                fixed.case(abi, version, scenario(Site::Configure), |p, id| {
                    p.import_module_as(&m.import_module, &alias.name);
                    // The spec's functions: each reference-level one has cases of its own, and
                    // one a host declares otherwise (cpp-host's path_link) must not fail this.
                    let functions = abi.functions.iter().filter(|f| f.module == m.import_module);
                    let answered = functions
                        .clone()
                        .find(|f| f.name == "sched_yield" && f.params.is_empty());
                    for f in functions
                        .filter(|f| f.level == ir::Level::Spec)
                        .chain(answered)
                    {
                        p.import_function(f);
                    }
                    p.callback("proxy_on_configure", |b| {
                        if let Some(f) = answered {
                            let status = b.call(&f.name, &[]);
                            b.because(basis.clone()).expect_status(
                                &format!("{id}/{}", f.name),
                                status,
                                0,
                            );
                        }
                        b.because(basis)
                            .expect_value(&format!("{id}/ran"), Arg::I32(1), 1)
                            .end();
                    });
                })?,
            );
        }
    }
    // Every host function only other versions define: the version's marker must not link it.
    let mut foreign: Vec<Function> = Vec::new();
    for other in RELEASED.iter().filter(|v| **v != version) {
        let Ok(other) = proxy_wasm_spec::builtin(other) else {
            continue;
        };
        for f in other.functions {
            if abi.function(&f.name).is_none() && !foreign.iter().any(|g| g.name == f.name) {
                foreign.push(f);
            }
        }
    }
    for f in &foreign {
        let what = format!("detection/other_version_import/{}", f.name);
        let description = format!(
            "a module importing {}, which ABI {version} lacks, is refused",
            f.name
        );
        let fixed = Fixed {
            what: &what,
            kind: Kind::Detection,
            description: &description,
            needs: &[Capability::Refusal],
            expect: Expect::Refused,
            refusal: Some(Basis::reference(CPP_HOST_PER_VERSION)),
        };
        cases.push(fixed.case(abi, version, scenario(Site::Configure), |p, _| {
            p.import_function(f);
            p.callback("proxy_on_configure", |b| {
                b.end();
            });
        })?);
    }
    Ok(())
}
