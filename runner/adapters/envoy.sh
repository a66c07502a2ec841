#!/usr/bin/env bash
# conformance-runner adapter (protocol v1, runner/ADAPTERS.md) for Envoy's Wasm HTTP filter.
#
#   ENVOY=/path/to/envoy runner/adapters/envoy.sh info
#   ENVOY=/path/to/envoy runner/adapters/envoy.sh run MODULE.wasm SCENARIO.json
#   conformance-runner --host runner/adapters/envoy.sh      (ENVOY exported)
#
# What `run` does, once per case, all under a fresh directory in $TMPDIR:
#   1. starts a loopback HTTP server (python3, standard library) with one port that plays the
#      HTTP streams' upstream (answering with the `response` of the current HTTP event) and one
#      port per scenario `upstreams` entry, which answers proxy_http_call requests from that
#      entry's script in order (`fail: true`, or an exhausted script, closes the connection, so
#      Envoy reports the call as failed);
#   2. writes a static bootstrap (as JSON, which Envoy reads like YAML): a listener on a free
#      127.0.0.1 port with http_connection_manager, the `envoy.filters.http.wasm` filter
#      (vm_config.runtime $ENVOY_WASM_RUNTIME, code.local.filename, the scenario's
#      vm_configuration and plugin_configuration as google.protobuf.StringValue, its
#      `environment` as environment_variables) and the router; a cluster for the stream upstream
#      and one cluster per scripted upstream, named as the scenario names it;
#   3. runs envoy (`--concurrency 1 --disable-hot-restart --log-level info
#      --component-log-level wasm:trace`, log lines formatted `[thread][level][logger] message`),
#      waits for the listener, sends each `events[].http` request with curl, sleeps through
#      `events[].tick`, stops envoy (SIGTERM);
#   4. prints the plugin's messages as JSON `log` events: Envoy logs them as
#      "wasm log[ <name>][ <root_id>][ <vm_id>]: <message>" and everything up to that ": " is
#      dropped. Envoy configures the plugin on the main thread (a throwaway "canary" VM) and
#      again on the worker; only the worker's lines are printed when there are any, so each
#      check is reported once. Then the responses curl received and what reached the upstream.
# Exit codes: 0 ran; 3 Envoy refused the module at configuration load ("Failed to load Wasm
# module", "Failed to initialize Wasm code", "Missing or unknown Proxy-Wasm ABI version", an
# import mismatch, no allocator); 1 Envoy or the adapter broke; 2 the environment is unusable.
# A plugin that fails or traps in proxy_on_configure also stops Envoy at startup; that is
# reported as a run (exit 0) with a `trap` event, since the module did load.
#
# Requirements: bash, python3 (standard library only), curl, and an Envoy binary with the Wasm
# filter and the chosen runtime compiled in (ENVOY_WASM_RUNTIME, default
# envoy.wasm.runtime.v8; e.g. envoy.wasm.runtime.wasmtime or envoy.wasm.runtime.wamr if the
# build has it). Nothing here builds Envoy or fetches anything.
#
# Environment: ENVOY (required); ENVOY_WASM_RUNTIME; PWTCK_KEEP_WORK=1 keeps the temporary
# directory and prints its path on stderr; PWTCK_START_TIMEOUT (seconds Envoy gets to come up,
# default 6); PWTCK_REQUEST_TIMEOUT (seconds per request, default 3).
#
# Not driven, and not claimed in `info`: TCP connections, gRPC, foreign functions (Envoy
# registers its own set, not the scenario's), queue producers, request trailers, the chunking
# of bodies (Envoy sees what curl sends), scenario `properties`/`log_level`/`limits`. Ticks run
# in real time, so a plugin that keeps its timer gets as many ticks as the wall clock gives it.
#
# NOT VERIFIED: written against Envoy's documented Wasm filter configuration
# (extensions.filters.http.wasm.v3.Wasm) and its log format as read from
# source/extensions/common/wasm/context.cc and proxy-wasm-cpp-host; not run against a real
# Envoy in this repository's CI. Fix it here when it turns out wrong.

set -eu

ME=envoy

usage() {
    printf 'usage: ENVOY=/path/to/envoy %s info | run MODULE.wasm SCENARIO.json\n' "$0" >&2
    exit 2
}

unusable() {
    printf '%s adapter: %s\n' "$ME" "$*" >&2
    exit 2
}

check_environment() {
    if [ -z "${ENVOY:-}" ]; then
        unusable "ENVOY is not set; point it at an envoy binary, e.g. ENVOY=/usr/local/bin/envoy $0 info"
    fi
    if [ ! -f "$ENVOY" ] || [ ! -x "$ENVOY" ]; then
        unusable "ENVOY=$ENVOY is not an executable file"
    fi
    command -v python3 >/dev/null 2>&1 || unusable "python3 is required (only its standard library is used)"
    command -v curl >/dev/null 2>&1 || unusable "curl is required to send the scenario's HTTP requests"
}

cmd_info() {
    check_environment
    local version
    version=$("$ENVOY" --version 2>&1 </dev/null | sed -n 's|.*version: [^/]*/\([0-9][0-9.]*\)/.*|\1|p' | head -n 1) || version=
    [ -n "$version" ] || version=unknown
    # Capabilities, conservatively:
    #   http           HTTP events go through a real listener, the filter and the router.
    #   ticks          proxy_on_tick runs on Envoy timers; the adapter lets the time pass.
    #   http_calls     each scripted upstream becomes a cluster of that name on a loopback port.
    #   shared_data, metrics, properties: implemented by Envoy itself; nothing to set up.
    #   refusal        a module Envoy will not load stops startup; detected from the log.
    # Left out:
    #   shared_queues  Envoy has queues, but `events[].enqueue` (another producer) cannot be
    #                  injected from outside.
    #   grpc           would need a scripted HTTP/2 gRPC server; not provided.
    #   foreign_functions  Envoy's foreign functions are its own, not the scenario's.
    #   tcp            not driven by this adapter.
    printf '{"protocol": 1, "name": "envoy", "version": "%s", "abi_versions": ["0.1.0", "0.2.0", "0.2.1"], "capabilities": ["http", "ticks", "http_calls", "shared_data", "metrics", "properties", "refusal"], "serve": false}\n' \
        "$version"
}

# --- run -------------------------------------------------------------------------------------

WORK=
ENVOY_PID=
UPSTREAM_PID=
DRIVE_PID=
STATUS=0

cleanup() {
    if [ -n "$DRIVE_PID" ] && kill -0 "$DRIVE_PID" 2>/dev/null; then
        kill -TERM "$DRIVE_PID" 2>/dev/null || true
    fi
    if [ -n "$ENVOY_PID" ] && kill -0 "$ENVOY_PID" 2>/dev/null; then
        kill -KILL "$ENVOY_PID" 2>/dev/null || true
    fi
    if [ -n "$UPSTREAM_PID" ] && kill -0 "$UPSTREAM_PID" 2>/dev/null; then
        kill -TERM "$UPSTREAM_PID" 2>/dev/null || true
    fi
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        if [ "${PWTCK_KEEP_WORK:-0}" = 1 ]; then
            printf '%s adapter: kept %s\n' "$ME" "$WORK" >&2
        else
            rm -rf "$WORK"
        fi
    fi
}

# Waits until the listener accepts connections (a bare connect sends no request through the
# filter); fails if Envoy exits or time runs out.
wait_ready() {
    local port=$1 deadline=$(( $(date +%s) + ${PWTCK_START_TIMEOUT:-6} ))
    while [ "$(date +%s)" -le "$deadline" ]; do
        kill -0 "$ENVOY_PID" 2>/dev/null || return 1
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 2
}

# Stops Envoy gracefully, then by force; leaves its exit status in STATUS.
stop_envoy() {
    local i=0
    kill -TERM "$ENVOY_PID" 2>/dev/null || true
    while kill -0 "$ENVOY_PID" 2>/dev/null && [ "$i" -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    if kill -0 "$ENVOY_PID" 2>/dev/null; then
        printf '%s adapter: envoy ignored SIGTERM for 5 s; killing it\n' "$ME" >&2
        kill -KILL "$ENVOY_PID" 2>/dev/null || true
    fi
    reap_envoy
}

# Collects Envoy's exit status (it has exited or is about to) into STATUS.
reap_envoy() {
    STATUS=0
    wait "$ENVOY_PID" 2>/dev/null || STATUS=$?
    ENVOY_PID=
}

# Foreground helper steps. Background ones call python3 directly, so that $! is python's pid.
helper() {
    python3 "$WORK/helper.py" "$@"
}

cmd_run() {
    local module=$1 scenario=$2
    check_environment
    if [ ! -f "$module" ] || [ ! -r "$module" ]; then
        unusable "cannot read module $module"
    fi
    if [ ! -f "$scenario" ] || [ ! -r "$scenario" ]; then
        unusable "cannot read scenario $scenario"
    fi

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/pwtck-envoy.XXXXXX")
    trap cleanup EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
    write_helper "$WORK/helper.py"

    python3 "$WORK/helper.py" upstream "$WORK" "$scenario" &
    UPSTREAM_PID=$!
    local i=0
    while [ ! -s "$WORK/upstream.ports.json" ]; do
        kill -0 "$UPSTREAM_PID" 2>/dev/null || unusable "the loopback upstream did not start"
        [ "$i" -lt 100 ] || unusable "the loopback upstream did not start within 5 s"
        sleep 0.05
        i=$((i + 1))
    done

    helper plan "$module" "$scenario" "$WORK"

    "$ENVOY" -c "$WORK/bootstrap.json" \
        --concurrency 1 --disable-hot-restart \
        --log-level info --component-log-level wasm:trace \
        --log-format '[%t][%l][%n] %v' \
        >"$WORK/envoy.stdout" 2>"$WORK/envoy.log" &
    ENVOY_PID=$!

    local ready=0
    wait_ready "$(cat "$WORK/listen.port")" || ready=$?
    if [ "$ready" -eq 2 ]; then
        printf '%s adapter: envoy did not listen within %s s\n' "$ME" "${PWTCK_START_TIMEOUT:-6}" >&2
        stop_envoy
        helper report "$WORK" broken
        exit 1
    fi
    if [ "$ready" -ne 0 ]; then
        reap_envoy
        local verdict
        verdict=$(helper classify "$WORK" "$STATUS")
        helper report "$WORK" "$verdict"
        case "$verdict" in
        refused) exit 3 ;;
        ran) exit 0 ;;
        *)
            printf '%s adapter: envoy exited during startup (status %s)\n' "$ME" "$STATUS" >&2
            exit 1
            ;;
        esac
    fi

    # In the background, so that a SIGTERM is handled at once rather than after the events.
    python3 "$WORK/helper.py" drive "$WORK" &
    DRIVE_PID=$!
    wait "$DRIVE_PID" || true
    DRIVE_PID=

    if ! kill -0 "$ENVOY_PID" 2>/dev/null; then
        reap_envoy
        helper report "$WORK" broken
        printf '%s adapter: envoy died while the scenario ran (status %s)\n' "$ME" "$STATUS" >&2
        exit 1
    fi
    stop_envoy
    helper report "$WORK" ran
    if [ "$STATUS" -ne 0 ]; then
        printf '%s adapter: envoy exited with status %s on shutdown\n' "$ME" "$STATUS" >&2
        exit 1
    fi
    exit 0
}

write_helper() {
    cat >"$1" <<'PYTHON'
"""Helper of envoy.sh: upstream, plan, drive, classify, report."""
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def save(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f)
    os.replace(tmp, path)


def text(value):
    """Bytes in a scenario are UTF-8 strings; body chunks are lists of them."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(value)
    return str(value)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- upstream: the streams' upstream and one server per scripted upstream --------------------

def upstream(work, scenario_path):
    scenario = load(scenario_path)
    current = os.path.join(work, "current-response.json")
    record = os.path.join(work, "upstream-requests.jsonl")
    lock = threading.Lock()

    def make_handler(script):
        """script None: answer with the current HTTP event's response; else the next reply."""

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def read_body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return body
                        body += self.rfile.read(size)
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def answer(self):
                body = self.read_body()
                if script is None:
                    headers = [[":method", self.command], [":path", self.path]]
                    headers += [[k.lower(), v] for k, v in self.headers.items()]
                    with lock:
                        with open(record, "a", encoding="utf-8") as f:
                            f.write(json.dumps({"headers": headers,
                                                "body": body.decode("utf-8", "replace")}) + "\n")
                    try:
                        response = load(current)
                    except (OSError, ValueError):
                        response = {}
                else:
                    with lock:
                        response = script.pop(0) if script else {"fail": True}
                    if response.get("fail"):
                        # No answer at all: Envoy sees a reset and fails the call.
                        self.close_connection = True
                        return
                status, extra = 200, []
                for name, value in response.get("headers") or []:
                    if name == ":status":
                        status = int(value)
                    elif not name.startswith(":"):
                        extra.append((name, value))
                payload = text(response.get("body")).encode("utf-8")
                self.send_response(status)
                for name, value in extra:
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def __getattr__(self, name):
                if name.startswith("do_"):
                    return self.answer
                raise AttributeError(name)

        return Handler

    servers = {"": http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(None))}
    for name, replies in (scenario.get("upstreams") or {}).items():
        handler = make_handler(list(replies or []))
        servers[name] = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ports = {"main": servers[""].server_address[1],
             "upstreams": {n: s.server_address[1] for n, s in servers.items() if n}}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    save(os.path.join(work, "upstream.ports.json"), ports)
    while True:
        time.sleep(3600)


# --- plan: the bootstrap and the events to drive ----------------------------------------------

MAIN_CLUSTER = "pwtck-adapter-stream-upstream"


def cluster(name, port):
    return {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {
                "address": "127.0.0.1", "port_value": port}}}}]}],
        },
    }


def string_value(value):
    return {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": value}


def plan(module, scenario_path, work):
    scenario = load(scenario_path)
    ports = load(os.path.join(work, "upstream.ports.json"))
    listen = free_port()
    vm_config = {
        "vm_id": "pwtck",
        "runtime": os.environ.get("ENVOY_WASM_RUNTIME") or "envoy.wasm.runtime.v8",
        "code": {"local": {"filename": os.path.abspath(module)}},
    }
    if scenario.get("vm_configuration"):
        vm_config["configuration"] = string_value(scenario["vm_configuration"])
    env = dict(e.split("=", 1) for e in scenario.get("environment") or [] if "=" in e)
    if env:
        vm_config["environment_variables"] = {"key_values": env}
    plugin = {"name": "pwtck", "vm_config": vm_config, "fail_open": False}
    if scenario.get("plugin_configuration"):
        plugin["configuration"] = string_value(scenario["plugin_configuration"])
    manager = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network."
                 "http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "pwtck",
        "codec_type": "AUTO",
        "route_config": {"name": "pwtck", "virtual_hosts": [{
            "name": "all", "domains": ["*"],
            "routes": [{"match": {"prefix": "/"},
                        "route": {"cluster": MAIN_CLUSTER, "timeout": "5s"}}]}]},
        "http_filters": [
            {"name": "envoy.filters.http.wasm", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                "config": plugin}},
            {"name": "envoy.filters.http.router", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}},
        ],
    }
    clusters = [cluster(MAIN_CLUSTER, ports["main"])]
    clusters += [cluster(name, port) for name, port in ports["upstreams"].items()]
    bootstrap = {
        "node": {"id": "pwtck", "cluster": "pwtck"},
        "static_resources": {
            "listeners": [{
                "name": "pwtck",
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": listen}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": manager}]}],
            }],
            "clusters": clusters,
        },
    }
    with open(os.path.join(work, "bootstrap.json"), "w", encoding="utf-8") as f:
        json.dump(bootstrap, f, indent=1)
    with open(os.path.join(work, "listen.port"), "w") as f:
        f.write(str(listen))
    save(os.path.join(work, "plan.json"), {"listen": listen, "events": scenario.get("events") or []})


# --- drive: the scenario's events, in order ----------------------------------------------------

def curl_request(work, n, listen, request):
    headers = request.get("headers") or []
    pseudo = {k: v for k, v in headers if k.startswith(":")}
    method = pseudo.get(":method", "GET")
    path = pseudo.get(":path", "/")
    authority = pseudo.get(":authority")
    body_file = os.path.join(work, "request-%d.body" % n)
    with open(body_file, "w", encoding="utf-8") as f:
        f.write(text(request.get("body")))
    out = os.path.join(work, "response-%d" % n)
    timeout = os.environ.get("PWTCK_REQUEST_TIMEOUT", "3")
    args = ["curl", "-sS", "--http1.1", "--path-as-is", "--max-time", timeout,
            "-o", out + ".body", "-D", out + ".headers", "-w", "%{http_code}"]
    if method == "HEAD":
        args.append("--head")
    else:
        args += ["-X", method]
    names = {k.lower() for k, _ in headers if not k.startswith(":")}
    # curl adds these on its own; drop them unless the scenario has them.
    for default in ("User-Agent", "Accept", "Content-Type"):
        if default.lower() not in names:
            args += ["-H", default + ":"]
    if authority is not None and "host" not in names:
        args += ["-H", "Host: " + authority]
    for name, value in headers:
        if not name.startswith(":"):
            args += ["-H", name + (": " + value if value else ";")]
    if request.get("body"):
        args += ["--data-binary", "@" + body_file]
    if request.get("trailers"):
        print("envoy adapter: request trailers are not sent (curl/HTTP/1.1)", file=sys.stderr)
    args.append("http://127.0.0.1:%d%s" % (listen, path))
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        print("envoy adapter: curl (event %d): %s" % (n, done.stderr.strip()), file=sys.stderr)
    return done.returncode


def drive(work):
    p = load(os.path.join(work, "plan.json"))
    current = os.path.join(work, "current-response.json")
    for n, event in enumerate(p["events"]):
        if "http" in event:
            http = event["http"] or {}
            save(current, http.get("response") or {})
            curl_request(work, n, p["listen"], http.get("request") or {})
        elif "tick" in event:
            time.sleep(min(float(event["tick"]), 5000.0) / 1000.0 + 0.1)
        else:
            kinds = ", ".join(sorted(event)) or "empty"
            print("envoy adapter: event %d (%s) is not driven by this adapter" % (n, kinds),
                  file=sys.stderr)


# --- classify and report: what Envoy's log says ------------------------------------------------

LINE = re.compile(r"^\[(\d+)\]\[(\w+)\]\[([\w.-]+)\] (.*)$")
PLUGIN = re.compile(r"^wasm log[^:]*: (.*)$")
TRAP = re.compile(r"Function: (\S+) failed:? ?(.*)$")
LEVELS = {"warning": "warn"}
REFUSED = ("Failed to load Wasm module", "Failed to load WASM module", "Failed to load Wasm code",
           "Failed to load WASM code", "Failed to initialize Wasm code",
           "Missing or unknown Proxy-Wasm ABI version", "missing malloc", "Bad function signature",
           "import type mismatch", "missing import")
RAN = ("Failed to configure base Wasm plugin", "Failed to start base Wasm", "Function: ")


def log_lines(work):
    lines = []
    for name in ("envoy.log", "envoy.stdout"):
        try:
            with open(os.path.join(work, name), encoding="utf-8", errors="replace") as f:
                lines += f.read().splitlines()
        except OSError:
            pass
    return lines


def classify(work, status):
    """After Envoy stopped during startup: refused, ran (the plugin failed), or broken."""
    if int(status) > 128:
        return "broken"
    lines = log_lines(work)
    if any(any(p in line for p in REFUSED) for line in lines):
        return "refused"
    if any(any(p in line for p in RAN) for line in lines):
        return "ran"
    return "broken"


def emit(event):
    print(json.dumps(event, ensure_ascii=False), flush=True)


def report(work, verdict):
    parsed, diagnostics = [], []
    for line in log_lines(work):
        m = LINE.match(line)
        if not m:
            diagnostics.append(line)
            continue
        thread, level, logger, body = m.groups()
        parsed.append((thread, LEVELS.get(level, level), logger, body, line))
    main_thread = parsed[0][0] if parsed else None
    plugin = [(t, lv, PLUGIN.match(b).group(1)) for t, lv, lg, b, _ in parsed
              if lg == "wasm" and PLUGIN.match(b)]
    # The canary VM on the main thread repeats proxy_on_configure; prefer the worker's view.
    if any(t != main_thread for t, _, _ in plugin):
        plugin = [p for p in plugin if p[0] != main_thread]
    for _, level, message in plugin:
        emit({"event": "log", "level": level, "message": message})
    for thread, level, logger, body, line in parsed:
        if logger == "wasm" and PLUGIN.match(body):
            continue
        trap = TRAP.search(body)
        if trap:
            emit({"event": "trap", "callback": trap.group(1), "message": trap.group(2)})
        elif verdict == "refused" and any(p in body for p in REFUSED):
            emit({"event": "refused", "message": body})
        elif level in ("warn", "error", "critical"):
            diagnostics.append(line)
    plan_path = os.path.join(work, "plan.json")
    events = load(plan_path)["events"] if os.path.exists(plan_path) else []
    for n, event in enumerate(events):
        if "http" not in event:
            continue
        out = os.path.join(work, "response-%d" % n)
        if not os.path.exists(out + ".headers"):
            continue
        with open(out + ".headers", encoding="utf-8", errors="replace") as f:
            blocks = [b for b in f.read().replace("\r\n", "\n").split("\n\n") if b.strip()]
        if not blocks:
            continue
        head = blocks[-1].split("\n")
        status = re.match(r"HTTP/\S+ (\d+)", head[0])
        headers = [[k.strip().lower(), v.strip()] for k, _, v in
                   (h.partition(":") for h in head[1:]) if k.strip()]
        body = ""
        if os.path.exists(out + ".body"):
            with open(out + ".body", encoding="utf-8", errors="replace") as f:
                body = f.read()
        emit({"event": "http_response", "status": int(status.group(1)) if status else 0,
              "headers": headers, "body": body})
    try:
        with open(os.path.join(work, "upstream-requests.jsonl"), encoding="utf-8") as f:
            for line in f:
                seen = json.loads(line)
                emit({"event": "upstream_request", "headers": seen["headers"], "body": seen["body"]})
    except OSError:
        pass
    for line in diagnostics[-40:]:
        print(line, file=sys.stderr)


def main(argv):
    command = argv[1]
    if command == "upstream":
        upstream(argv[2], argv[3])
    elif command == "plan":
        plan(argv[2], argv[3], argv[4])
    elif command == "drive":
        drive(argv[2])
    elif command == "classify":
        print(classify(argv[2], argv[3]))
    elif command == "report":
        report(argv[2], argv[3])
    else:
        sys.exit("unknown helper command " + command)


if __name__ == "__main__":
    main(sys.argv)
PYTHON
}

case "${1:-}" in
info)
    [ $# -eq 1 ] || usage
    cmd_info
    ;;
run)
    [ $# -eq 3 ] || usage
    cmd_run "$2" "$3"
    ;;
*)
    usage
    ;;
esac
