#!/usr/bin/env python3
"""Python side of the proxy adapters (kong-ngx-wasm-module.sh, envoy.sh); standard library only.

The adapters' shell side (common.sh) calls it, once per step of a `run`, with WORK the run's
temporary directory:

    proxy_driver.py free-port                           print a free 127.0.0.1 port
    proxy_driver.py upstream WORK [SCENARIO]            serve the loopback upstream(s) until killed
    proxy_driver.py --host HOST plan MODULE SCENARIO WORK
                                                        write the proxy's configuration; print the
                                                        port that tells when the proxy is up
    proxy_driver.py --host HOST drive WORK              send the scenario's events, in order
    proxy_driver.py --host HOST classify WORK STATUS    after a startup exit: refused, ran or broken
    proxy_driver.py --host HOST report WORK VERDICT     print the run as protocol v1 event lines

HOST is the adapter's name: kong-ngx-wasm-module or envoy. Shared by both: scenario loading, port
picking, the upstream, sending HTTP events with curl, sleeping through ticks, and the
http_response / upstream_request part of the report. Host-specific, in the sections at the end:
configuration generation (nginx.conf, Envoy bootstrap), which log files to read, log-line parsing
(nginx's suffix stripping, Envoy's canary VM) and the strings that mean "refused" or "ran".

Files in WORK: upstream.ports.json ({"main": port, "upstreams": {name: port}}), plan.json
({"listen": port, "events": [...]}), current-response.json, upstream-requests.jsonl,
request-N.body, response-N.headers, response-N.body, and whatever the host's plan and the proxy
write next to them.
"""
import argparse
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
    return free_ports(1)[0]


def free_ports(n):
    """n distinct free 127.0.0.1 ports: all are held open until every one is picked, since two
    free_port() calls in a row may get the same port back (seen with nginx: both servers then
    listened on one port and the readiness request went through the filter)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def emit(event):
    print(json.dumps(event, ensure_ascii=False), flush=True)


# --- upstream: the streams' upstream and one server per scripted upstream --------------------

def upstream(work, scenario_path=None):
    """Serves, on loopback ports written to WORK/upstream.ports.json, the HTTP streams' upstream
    ("main": answers with the current HTTP event's response and records what reached it) and,
    with a scenario, one server per `upstreams` entry, which answers from that entry's script in
    order (`fail: true`, or an exhausted script, closes the connection without an answer)."""
    scripts = (load(scenario_path).get("upstreams") or {}) if scenario_path else {}
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
                        # No answer at all: the proxy sees a reset and fails the call.
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
    for name, replies in scripts.items():
        handler = make_handler(list(replies or []))
        servers[name] = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ports = {"main": servers[""].server_address[1],
             "upstreams": {n: s.server_address[1] for n, s in servers.items() if n}}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    save(os.path.join(work, "upstream.ports.json"), ports)
    while True:
        time.sleep(3600)


# --- plan: shared part (the host's plan writes the configuration) ------------------------------

def write_plan(work, listen, scenario):
    """Records the port the HTTP events go to and the events, for drive and report."""
    save(os.path.join(work, "plan.json"), {"listen": listen, "events": scenario.get("events") or []})


# --- drive: the scenario's events, in order ----------------------------------------------------

def curl_request(label, work, n, listen, request):
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
        print("%s adapter: request trailers are not sent (curl/HTTP/1.1)" % label, file=sys.stderr)
    args.append("http://127.0.0.1:%d%s" % (listen, path))
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        print("%s adapter: curl (event %d): %s" % (label, n, done.stderr.strip()), file=sys.stderr)
    return done.returncode


def drive(host, work):
    p = load(os.path.join(work, "plan.json"))
    current = os.path.join(work, "current-response.json")
    for n, event in enumerate(p["events"]):
        if "http" in event:
            http = event["http"] or {}
            save(current, http.get("response") or {})
            curl_request(host.label, work, n, p["listen"], http.get("request") or {})
        elif "tick" in event:
            time.sleep(min(float(event["tick"]), 5000.0) / 1000.0 + 0.1)
        else:
            kinds = ", ".join(sorted(event)) or "empty"
            print("%s adapter: event %d (%s) is not driven by this adapter"
                  % (host.label, n, kinds), file=sys.stderr)


# --- classify and report: shared parts -----------------------------------------------------------

def log_lines(host, work):
    lines = []
    for name in host.logs:
        try:
            with open(os.path.join(work, name), encoding="utf-8", errors="replace") as f:
                lines += f.read().splitlines()
        except OSError:
            pass
    return lines


def classify(host, work, status):
    """After the proxy stopped during startup: refused, ran (the plugin failed), or broken."""
    if int(status) > 128:
        return "broken"
    lines = log_lines(host, work)
    if any(any(p in line for p in host.refused) for line in lines):
        return "refused"
    if any(any(p in line for p in host.ran) for line in lines):
        return "ran"
    return "broken"


def report(host, work, verdict):
    """The host's log events, then what curl received and what reached the upstream; the last
    40 diagnostic lines of the host's log go to stderr."""
    diagnostics = host.log_events(log_lines(host, work), verdict)
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
    if verdict == "refused":
        # The runner shows the last line printed as the reason of a refusal: make it the first
        # line of the host's log that says why, not whatever diagnostic came last.
        why = [line.strip() for line in log_lines(host, work) if any(p in line for p in host.refused)]
        if why:
            print("%s adapter: the module was refused: %s" % (host.label, why[0]), file=sys.stderr)


class Host:
    """What differs between the proxies: the label of stderr messages, the log files (relative
    to WORK, read in order), the substrings that make a startup exit "refused" or "ran", the
    plan (writes the configuration, returns the readiness port) and the log parser (emits the
    log/trap/refused/error events, returns the diagnostic lines)."""

    def __init__(self, label, logs, refused, ran, plan, log_events):
        self.label = label
        self.logs = logs
        self.refused = refused
        self.ran = ran
        self.plan = plan
        self.log_events = log_events


# --- host-specific: Kong's ngx_wasm_module (kong-ngx-wasm-module.sh) ---------------------------

def ngx_string(value):
    """A single-quoted nginx token; nginx unescapes \\\\ and \\' (and \\t \\r \\n)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# ngx_wasm_module has no queue that is not a `shm_queue NAME SIZE;` zone of its own:
# proxy_register_shared_queue traps "could not find queue" for any other name
# (src/common/proxy_wasm/ngx_proxy_wasm_host.c ngx_proxy_wasm_hfuncs_register_shared_queue).
# So the plan declares one zone per queue name the probes register (conformance-guests'
# recipes and semantics cases); PWTCK_KONG_QUEUES (names separated by spaces) replaces the
# list. 16k: the directive refuses zones under 15k.
KONG_QUEUES = ("pwtck-q", "pwtck-empty", "pwtck-fifo", "pwtck-ready")


def kong_queue_names():
    names = os.environ.get("PWTCK_KONG_QUEUES")
    names = names.split() if names is not None else list(KONG_QUEUES)
    return [n for n in names if re.fullmatch(r"[A-Za-z0-9._-]+", n)]


def kong_plan(module, scenario_path, work):
    """Writes WORK/nginx.conf: the probe's filter on a proxying server, and a second server with
    no filter whose port (returned) tells when nginx is up."""
    scenario = load(scenario_path)
    listen, ready = free_ports(2)
    up = load(os.path.join(work, "upstream.ports.json"))["main"]
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
    ]
    conf += ["    shm_queue %s 16k;" % name for name in kong_queue_names()]
    conf += [
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
    write_plan(work, listen, scenario)
    return ready


KONG_LINE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$")
KONG_PLUGIN = re.compile(r'^\[proxy-wasm\]\["probe" #(\d+)\] ?(.*)$')
# nginx appends ", client: ..., server: ..., request: ..." (and " while ..." before it).
KONG_SUFFIX = re.compile(r"(?: while [^,]*)?, client: .*$")
KONG_LEVELS = {"debug": "debug", "info": "info", "notice": "info", "warn": "warn", "error": "error",
               "crit": "critical", "alert": "critical", "emerg": "critical"}
# "incompatible import type" is wasmtime's link error for an import whose signature differs from
# the host function's (logged as "failed instantiating ... module" by src/wasm/vm/ngx_wavm.c
# ngx_wavm_instance_create).
KONG_REFUSED = ("failed loading", "unknown ABI version", "incompatible ABI version",
                "incompatible host interface", "incompatible SDK interface",
                "missing host function", "missing malloc", "incompatible import type")
KONG_RAN = ("failed initializing", "trap", "panicked")
KONG_HOST_NOTE = re.compile(r"^(failed (initializing|loading|resuming)|filter \d+/\d+ )|\((instance trapped|on_configure failure|on_vm_start failure)\)$")


def kong_log_events(lines, verdict):
    diagnostics = []
    for line in lines:
        m = KONG_LINE.match(line)
        level, body = (m.group(1), m.group(2)) if m else ("", line)
        body = KONG_SUFFIX.sub("", body, count=1)
        plugin = KONG_PLUGIN.match(body)
        if plugin and "pwtck:" not in body and KONG_HOST_NOTE.search(plugin.group(2)):
            # The module's own messages about the filter share the plugin's prefix.
            emit({"event": "error", "context": int(plugin.group(1)), "message": plugin.group(2)})
        elif plugin:
            emit({"event": "log", "level": KONG_LEVELS.get(level, level),
                  "context": int(plugin.group(1)), "message": plugin.group(2)})
        elif "pwtck:" in body:
            # An older module version without the [proxy-wasm]["name" #id] prefix.
            emit({"event": "log", "level": KONG_LEVELS.get(level, level), "message": body})
        elif verdict == "refused" and any(p in body for p in KONG_REFUSED):
            emit({"event": "refused", "message": body})
        elif "trap" in body or "panicked" in body:
            emit({"event": "trap", "message": body})
        elif level in ("warn", "error", "crit", "alert", "emerg") or not m:
            diagnostics.append(line)
    return diagnostics


# --- host-specific: Envoy (envoy.sh) -------------------------------------------------------------

ENVOY_MAIN_CLUSTER = "pwtck-adapter-stream-upstream"


def envoy_cluster(name, port):
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


def envoy_string_value(value):
    return {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": value}


def envoy_plan(module, scenario_path, work):
    """Writes WORK/bootstrap.json: a listener (its port is returned) with the Wasm filter and
    the router, a cluster for the streams' upstream and one per scripted upstream."""
    scenario = load(scenario_path)
    ports = load(os.path.join(work, "upstream.ports.json"))
    listen = free_port()
    vm_config = {
        "vm_id": "pwtck",
        "runtime": os.environ.get("ENVOY_WASM_RUNTIME") or "envoy.wasm.runtime.v8",
        "code": {"local": {"filename": os.path.abspath(module)}},
    }
    if scenario.get("vm_configuration"):
        vm_config["configuration"] = envoy_string_value(scenario["vm_configuration"])
    env = dict(e.split("=", 1) for e in scenario.get("environment") or [] if "=" in e)
    if env:
        vm_config["environment_variables"] = {"key_values": env}
    plugin = {"name": "pwtck", "vm_config": vm_config, "fail_open": False}
    if scenario.get("plugin_configuration"):
        plugin["configuration"] = envoy_string_value(scenario["plugin_configuration"])
    manager = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network."
                 "http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "pwtck",
        "codec_type": "AUTO",
        "route_config": {"name": "pwtck", "virtual_hosts": [{
            "name": "all", "domains": ["*"],
            "routes": [{"match": {"prefix": "/"},
                        "route": {"cluster": ENVOY_MAIN_CLUSTER, "timeout": "5s"}}]}]},
        "http_filters": [
            {"name": "envoy.filters.http.wasm", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                "config": plugin}},
            {"name": "envoy.filters.http.router", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}},
        ],
    }
    clusters = [envoy_cluster(ENVOY_MAIN_CLUSTER, ports["main"])]
    clusters += [envoy_cluster(name, port) for name, port in ports["upstreams"].items()]
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
    write_plan(work, listen, scenario)
    return listen


ENVOY_LINE = re.compile(r"^\[(\d+)\]\[(\w+)\]\[([\w.-]+)\] (.*)$")
ENVOY_PLUGIN = re.compile(r"^wasm log[^:]*: (.*)$")
ENVOY_TRAP = re.compile(r"Function: (\S+) failed:? ?(.*)$")
ENVOY_LEVELS = {"warning": "warn"}
ENVOY_REFUSED = ("Failed to load Wasm module", "Failed to load WASM module",
                 "Failed to load Wasm code", "Failed to load WASM code",
                 "Failed to initialize Wasm code", "Missing or unknown Proxy-Wasm ABI version",
                 "missing malloc", "Bad function signature", "import type mismatch",
                 "missing import")
ENVOY_RAN = ("Failed to configure base Wasm plugin", "Failed to start base Wasm", "Function: ")


def envoy_log_events(lines, verdict):
    parsed, diagnostics = [], []
    for line in lines:
        m = ENVOY_LINE.match(line)
        if not m:
            diagnostics.append(line)
            continue
        thread, level, logger, body = m.groups()
        parsed.append((thread, ENVOY_LEVELS.get(level, level), logger, body, line))
    main_thread = parsed[0][0] if parsed else None
    plugin = [(t, lv, ENVOY_PLUGIN.match(b).group(1)) for t, lv, lg, b, _ in parsed
              if lg == "wasm" and ENVOY_PLUGIN.match(b)]
    # The canary VM on the main thread repeats proxy_on_configure; prefer the worker's view.
    if any(t != main_thread for t, _, _ in plugin):
        plugin = [p for p in plugin if p[0] != main_thread]
    for _, level, message in plugin:
        emit({"event": "log", "level": level, "message": message})
    for thread, level, logger, body, line in parsed:
        if logger == "wasm" and ENVOY_PLUGIN.match(body):
            continue
        trap = ENVOY_TRAP.search(body)
        if trap:
            emit({"event": "trap", "callback": trap.group(1), "message": trap.group(2)})
        elif verdict == "refused" and any(p in body for p in ENVOY_REFUSED):
            emit({"event": "refused", "message": body})
        elif level in ("warn", "error", "critical"):
            diagnostics.append(line)
    return diagnostics


# --- command line ------------------------------------------------------------------------------

HOSTS = {
    "kong-ngx-wasm-module": Host(
        label="kong",
        logs=(os.path.join("prefix", "logs", "error.log"), "nginx.stdout"),
        refused=KONG_REFUSED, ran=KONG_RAN, plan=kong_plan, log_events=kong_log_events),
    "envoy": Host(
        label="envoy",
        logs=("envoy.log", "envoy.stdout"),
        refused=ENVOY_REFUSED, ran=ENVOY_RAN, plan=envoy_plan, log_events=envoy_log_events),
}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="proxy_driver.py",
        description="Python side of the proxy adapters (see the module docstring).")
    parser.add_argument("--host", choices=sorted(HOSTS),
                        help="the adapter's name; required by plan, drive, classify and report")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser("free-port", help="print a free 127.0.0.1 port")
    p = sub.add_parser("upstream", help="serve the loopback upstream(s) until killed")
    p.add_argument("work")
    p.add_argument("scenario", nargs="?", help="also serve the scenario's scripted upstreams")
    p = sub.add_parser("plan", help="write the configuration; print the readiness port")
    p.add_argument("module")
    p.add_argument("scenario")
    p.add_argument("work")
    p = sub.add_parser("drive", help="send the scenario's events")
    p.add_argument("work")
    p = sub.add_parser("classify", help="after a startup exit: print refused, ran or broken")
    p.add_argument("work")
    p.add_argument("status", type=int)
    p = sub.add_parser("report", help="print the run's event lines")
    p.add_argument("work")
    p.add_argument("verdict", choices=("ran", "refused", "broken"))
    args = parser.parse_args(argv)

    host = HOSTS.get(args.host) if args.host else None
    if host is None and args.command in ("plan", "drive", "classify", "report"):
        parser.error("--host is required for " + args.command)
    if args.command == "free-port":
        print(free_port())
    elif args.command == "upstream":
        upstream(args.work, args.scenario)
    elif args.command == "plan":
        print(host.plan(args.module, args.scenario, args.work))
    elif args.command == "drive":
        drive(host, args.work)
    elif args.command == "classify":
        print(classify(host, args.work, args.status))
    elif args.command == "report":
        report(host, args.work, args.verdict)


if __name__ == "__main__":
    main()
