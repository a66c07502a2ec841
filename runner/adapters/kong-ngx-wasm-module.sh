#!/usr/bin/env bash
# conformance-runner adapter (protocol v1, runner/ADAPTERS.md) for Kong's ngx_wasm_module.
#
#   NGINX=/path/to/nginx runner/adapters/kong-ngx-wasm-module.sh info
#   NGINX=/path/to/nginx runner/adapters/kong-ngx-wasm-module.sh run MODULE.wasm SCENARIO.json
#   conformance-runner --host runner/adapters/kong-ngx-wasm-module.sh      (NGINX exported)
#
# What `run` does, once per case, all under a fresh directory in $TMPDIR:
#   1. starts a loopback HTTP server (python3, standard library) that plays the upstream: it
#      answers each proxied request with the `response` of the scenario's current HTTP event;
#   2. writes nginx.conf: `daemon off; master_process off;`, `error_log ... info`, a
#      `wasm { module probe PATH ['vm_configuration']; shm_kv * 1m; }` block, one server on a free
#      127.0.0.1 port whose location runs `proxy_wasm probe ['plugin_configuration'];` and
#      proxies to the loopback upstream, and a second server (no filter) used only to tell when
#      nginx is up;
#   3. starts nginx in the foreground (`-p PREFIX -c CONF`), waits until it answers, sends each
#      `events[].http` request with curl, sleeps through `events[].tick`, stops nginx (SIGQUIT);
#   4. prints the plugin's lines from the error log as JSON `log` events, with nginx's
#      ", client: ..., server: ..., request: ..." suffix (and a " while ..." before it) removed,
#      then the responses curl received and what reached the upstream.
# Exit codes: 0 ran; 3 nginx refused the module (startup failed with "failed loading", "unknown
# ABI version", "missing host function", "incompatible ... interface", "missing malloc"); 1 nginx
# or the adapter broke (crash, no startup, unexpected exit); 2 the environment is unusable.
#
# Requirements: bash, python3 (standard library only), curl, and an nginx binary with
# ngx_wasm_module compiled in. For a dynamic module set NGX_WASM_MODULE_SO to the .so file
# (it becomes a `load_module` line). Nothing here builds nginx or fetches anything.
#
# Environment: NGINX (required); NGX_WASM_MODULE_SO; PWTCK_KEEP_WORK=1 keeps the temporary
# directory and prints its path on stderr; PWTCK_START_TIMEOUT (seconds nginx gets to come
# up, default 6); PWTCK_REQUEST_TIMEOUT (seconds per request, default 3).
#
# Not driven, and not claimed in `info`: TCP connections, gRPC, HTTP calls to scripted
# upstreams, foreign functions, queue producers, request trailers, the chunking of bodies
# (nginx sees one body), WASI environment variables, scenario `properties`/`log_level`/`limits`.
# Ticks run in real time, so a plugin that keeps its timer gets as many ticks as the wall
# clock gives it, not exactly the scenario's number.
#
# NOT VERIFIED: written against ngx_wasm_module's documented directives (docs/DIRECTIVES.md)
# and its log format as read from its source and tests (src/common/proxy_wasm/
# ngx_proxy_wasm_util.c, t/03-proxy_wasm/); not run against a real nginx in this repository's
# CI. Fix it here when it turns out wrong.

set -eu

ME=kong-ngx-wasm-module

usage() {
    printf 'usage: NGINX=/path/to/nginx %s info | run MODULE.wasm SCENARIO.json\n' "$0" >&2
    exit 2
}

unusable() {
    printf '%s adapter: %s\n' "$ME" "$*" >&2
    exit 2
}

check_environment() {
    if [ -z "${NGINX:-}" ]; then
        unusable "NGINX is not set; point it at an nginx binary built with ngx_wasm_module, e.g. NGINX=/usr/local/nginx/sbin/nginx $0 info"
    fi
    if [ ! -f "$NGINX" ] || [ ! -x "$NGINX" ]; then
        unusable "NGINX=$NGINX is not an executable file"
    fi
    command -v python3 >/dev/null 2>&1 || unusable "python3 is required (only its standard library is used)"
    command -v curl >/dev/null 2>&1 || unusable "curl is required to send the scenario's HTTP requests"
    if [ -n "${NGX_WASM_MODULE_SO:-}" ] && [ ! -r "$NGX_WASM_MODULE_SO" ]; then
        unusable "NGX_WASM_MODULE_SO=$NGX_WASM_MODULE_SO is not a readable file"
    fi
}

cmd_info() {
    check_environment
    local version
    version=$("$NGINX" -v 2>&1 </dev/null | sed -n 's|.*nginx/\([0-9][0-9.]*\).*|\1|p' | head -n 1) || version=
    if [ -n "$version" ]; then
        version="nginx/$version"
    else
        version=unknown
    fi
    # Capabilities, conservatively:
    #   http           HTTP events go through a real server block and proxy_pass.
    #   ticks          proxy_on_tick runs on nginx timers; the adapter lets the time pass.
    #   shared_data    `shm_kv * 1m;` gives the default key/value namespace a store.
    #   metrics        ngx_wasm_module implements proxy_define/increment/record/get_metric.
    #   properties     the host maps Envoy-style names (request.path, ...) itself; whether it
    #                  accepts the probes' own paths is what the cases measure.
    #   refusal        a module nginx will not load stops startup; detected from the log.
    # Left out:
    #   http_calls     Kong dispatches to host[:port] through its own resolver; the probes call
    #                  a cluster-style name ("pwtck-upstream") that cannot be pointed at a
    #                  loopback port without binding port 80.
    #   shared_queues  queues need an `shm_queue NAME` zone per queue name, and the names live
    #                  inside the probe; `events[].enqueue` has no nginx equivalent, and
    #                  proxy_on_queue_ready is not implemented (docs/PROXY_WASM.md).
    #   grpc, tcp, foreign_functions: not driven by this adapter.
    printf '{"protocol": 1, "name": "%s", "version": "%s", "abi_versions": ["0.1.0", "0.2.0", "0.2.1"], "capabilities": ["http", "ticks", "shared_data", "metrics", "properties", "refusal"], "serve": false}\n' \
        "$ME" "$version"
}

# --- run -------------------------------------------------------------------------------------

WORK=
NGINX_PID=
UPSTREAM_PID=
DRIVE_PID=
STATUS=0

cleanup() {
    if [ -n "$DRIVE_PID" ] && kill -0 "$DRIVE_PID" 2>/dev/null; then
        kill -TERM "$DRIVE_PID" 2>/dev/null || true
    fi
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill -KILL "$NGINX_PID" 2>/dev/null || true
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

# Waits until nginx's readiness server answers; fails if nginx exits or time runs out.
wait_ready() {
    local port=$1 deadline=$(( $(date +%s) + ${PWTCK_START_TIMEOUT:-6} ))
    while [ "$(date +%s)" -le "$deadline" ]; do
        kill -0 "$NGINX_PID" 2>/dev/null || return 1
        if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
            return 0
        fi
        sleep 0.05
    done
    return 2
}

# Stops nginx gracefully, then by force; leaves its exit status in STATUS.
stop_nginx() {
    local i=0
    kill -QUIT "$NGINX_PID" 2>/dev/null || true
    while kill -0 "$NGINX_PID" 2>/dev/null && [ "$i" -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    if kill -0 "$NGINX_PID" 2>/dev/null; then
        printf '%s adapter: nginx ignored SIGQUIT for 5 s; killing it\n' "$ME" >&2
        kill -KILL "$NGINX_PID" 2>/dev/null || true
    fi
    reap_nginx
}

# Collects nginx's exit status (it has exited or is about to) into STATUS.
reap_nginx() {
    STATUS=0
    wait "$NGINX_PID" 2>/dev/null || STATUS=$?
    NGINX_PID=
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

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/pwtck-kong.XXXXXX")
    trap cleanup EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
    mkdir -p "$WORK/prefix/logs"
    write_helper "$WORK/helper.py"

    python3 "$WORK/helper.py" upstream "$WORK" &
    UPSTREAM_PID=$!
    local i=0
    while [ ! -s "$WORK/upstream.port" ]; do
        kill -0 "$UPSTREAM_PID" 2>/dev/null || unusable "the loopback upstream did not start"
        [ "$i" -lt 100 ] || unusable "the loopback upstream did not start within 5 s"
        sleep 0.05
        i=$((i + 1))
    done

    helper plan "$module" "$scenario" "$WORK"

    local -a args=(-p "$WORK/prefix/" -c "$WORK/nginx.conf")
    # -e (nginx >= 1.19.5) sends even the earliest startup errors to our log.
    if "$NGINX" -h 2>&1 | grep -q -- '-e filename'; then
        args+=(-e "$WORK/prefix/logs/error.log")
    fi
    "$NGINX" "${args[@]}" >"$WORK/nginx.stdout" 2>&1 &
    NGINX_PID=$!

    local ready=0
    wait_ready "$(cat "$WORK/ready.port")" || ready=$?
    if [ "$ready" -eq 2 ]; then
        printf '%s adapter: nginx did not answer within %s s\n' "$ME" "${PWTCK_START_TIMEOUT:-6}" >&2
        stop_nginx
        helper report "$WORK" broken
        exit 1
    fi
    if [ "$ready" -ne 0 ]; then
        reap_nginx
        local verdict
        verdict=$(helper classify "$WORK" "$STATUS")
        helper report "$WORK" "$verdict"
        case "$verdict" in
        refused) exit 3 ;;
        ran) exit 0 ;;
        *)
            printf '%s adapter: nginx exited during startup (status %s)\n' "$ME" "$STATUS" >&2
            exit 1
            ;;
        esac
    fi

    # In the background, so that a SIGTERM is handled at once rather than after the events.
    python3 "$WORK/helper.py" drive "$WORK" &
    DRIVE_PID=$!
    wait "$DRIVE_PID" || true
    DRIVE_PID=

    if ! kill -0 "$NGINX_PID" 2>/dev/null; then
        reap_nginx
        helper report "$WORK" broken
        printf '%s adapter: nginx died while the scenario ran (status %s)\n' "$ME" "$STATUS" >&2
        exit 1
    fi
    stop_nginx
    helper report "$WORK" ran
    if [ "$STATUS" -ne 0 ]; then
        printf '%s adapter: nginx exited with status %s on shutdown\n' "$ME" "$STATUS" >&2
        exit 1
    fi
    exit 0
}

write_helper() {
    cat >"$1" <<'PYTHON'
"""Helper of kong-ngx-wasm-module.sh: upstream, plan, drive, classify, report."""
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


# --- upstream: answers with the response of the current HTTP event ---------------------------

def upstream(work):
    current = os.path.join(work, "current-response.json")
    record = os.path.join(work, "upstream-requests.jsonl")
    lock = threading.Lock()

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

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    save(os.path.join(work, "upstream.port.json"), server.server_address[1])
    with open(os.path.join(work, "upstream.port"), "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


# --- plan: nginx.conf and the events to drive --------------------------------------------------

def ngx_string(value):
    """A single-quoted nginx token; nginx unescapes \\\\ and \\' (and \\t \\r \\n)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def plan(module, scenario_path, work):
    scenario = load(scenario_path)
    listen, ready = free_port(), free_port()
    up = load(os.path.join(work, "upstream.port.json"))
    prefix = os.path.join(work, "prefix")
    vm_config = scenario.get("vm_configuration") or ""
    plugin_config = scenario.get("plugin_configuration") or ""
    module_line = "module probe " + ngx_string(os.path.abspath(module))
    if vm_config:
        module_line += " " + ngx_string(vm_config)
    filter_line = "proxy_wasm probe" + (" " + ngx_string(plugin_config) if plugin_config else "")
    load_module = os.environ.get("NGX_WASM_MODULE_SO")
    conf = []
    if load_module:
        conf.append("load_module " + ngx_string(os.path.abspath(load_module)) + ";")
    conf += [
        "daemon off;",
        "master_process off;",
        "worker_processes 1;",
        "error_log " + ngx_string(os.path.join(prefix, "logs", "error.log")) + " info;",
        "pid " + ngx_string(os.path.join(prefix, "logs", "nginx.pid")) + ";",
        "events { worker_connections 64; }",
        "wasm {",
        "    " + module_line + ";",
        "    shm_kv * 1m;",
        "}",
        "http {",
        "    access_log off;",
        "    client_body_temp_path " + ngx_string(os.path.join(prefix, "client_body_temp")) + ";",
        "    proxy_temp_path " + ngx_string(os.path.join(prefix, "proxy_temp")) + ";",
        "    server {",
        "        listen 127.0.0.1:%d;" % listen,
        "        location / {",
        "            " + filter_line + ";",
        "            proxy_http_version 1.1;",
        "            proxy_set_header Host $http_host;",
        "            proxy_set_header Connection '';",
        "            proxy_pass http://127.0.0.1:%d;" % up,
        "        }",
        "    }",
        "    server {",
        "        listen 127.0.0.1:%d;" % ready,
        "        location / { return 204; }",
        "    }",
        "}",
    ]
    with open(os.path.join(work, "nginx.conf"), "w", encoding="utf-8") as f:
        f.write("\n".join(conf) + "\n")
    with open(os.path.join(work, "ready.port"), "w") as f:
        f.write(str(ready))
    save(os.path.join(work, "plan.json"), {"listen": listen, "events": scenario.get("events") or []})


# --- drive: the scenario's events, in order ----------------------------------------------------

DRIVEN = ("http", "tick")


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
        print("kong adapter: request trailers are not sent (curl/HTTP/1.1)", file=sys.stderr)
    args.append("http://127.0.0.1:%d%s" % (listen, path))
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        print("kong adapter: curl (event %d): %s" % (n, done.stderr.strip()), file=sys.stderr)
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
            print("kong adapter: event %d (%s) is not driven by this adapter" % (n, kinds),
                  file=sys.stderr)


# --- classify and report: what the error log says ---------------------------------------------

LINE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$")
PLUGIN = re.compile(r'^\[proxy-wasm\]\["probe" #(\d+)\] ?(.*)$')
SUFFIX = re.compile(r"(?: while [^,]*)?, client: .*$")
LEVELS = {"debug": "debug", "info": "info", "notice": "info", "warn": "warn", "error": "error",
          "crit": "critical", "alert": "critical", "emerg": "critical"}
REFUSED = ("failed loading", "unknown ABI version", "incompatible ABI version",
           "incompatible host interface", "incompatible SDK interface", "missing host function",
           "missing malloc")
RAN = ("failed initializing", "trap", "panicked")
HOST_NOTE = re.compile(r"^(failed (initializing|loading|resuming)|filter \d+/\d+ )|\((instance trapped|on_configure failure|on_vm_start failure)\)$")


def log_lines(work):
    lines = []
    for name in (os.path.join("prefix", "logs", "error.log"), "nginx.stdout"):
        try:
            with open(os.path.join(work, name), encoding="utf-8", errors="replace") as f:
                lines += f.read().splitlines()
        except OSError:
            pass
    return lines


def classify(work, status):
    """After nginx stopped during startup: refused, ran (the plugin failed), or broken."""
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
    diagnostics = []
    for line in log_lines(work):
        m = LINE.match(line)
        level, body = (m.group(1), m.group(2)) if m else ("", line)
        body = SUFFIX.sub("", body, count=1)
        plugin = PLUGIN.match(body)
        if plugin and "pwtck:" not in body and HOST_NOTE.search(plugin.group(2)):
            # The module's own messages about the filter share the plugin's prefix.
            emit({"event": "error", "context": int(plugin.group(1)), "message": plugin.group(2)})
        elif plugin:
            emit({"event": "log", "level": LEVELS.get(level, level), "context": int(plugin.group(1)),
                  "message": plugin.group(2)})
        elif "pwtck:" in body:
            # An older module version without the [proxy-wasm]["name" #id] prefix.
            emit({"event": "log", "level": LEVELS.get(level, level), "message": body})
        elif verdict == "refused" and any(p in body for p in REFUSED):
            emit({"event": "refused", "message": body})
        elif "trap" in body or "panicked" in body:
            emit({"event": "trap", "message": body})
        elif level in ("warn", "error", "crit", "alert", "emerg") or not m:
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
        upstream(argv[2])
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
