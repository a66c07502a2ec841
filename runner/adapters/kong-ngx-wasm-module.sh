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
#      `wasm { module probe PATH ['vm_configuration']; shm_kv * 1m; shm_queue NAME 16k; ... }`
#      block (a queue zone per queue name the probes register), one server on a free
#      127.0.0.1 port whose location runs `proxy_wasm probe ['plugin_configuration'];` and
#      proxies to the loopback upstream, and a second server (no filter) used only to tell when
#      nginx is up;
#   3. starts nginx in the foreground (`-p PREFIX -c CONF`), waits until it answers, sends each
#      `events[].http` request with curl, sleeps through `events[].tick`, stops nginx (SIGQUIT);
#   4. prints the plugin's lines from the error log as JSON `log` events, with nginx's
#      ", client: ..., server: ..., request: ..." suffix (and a " while ..." before it) removed,
#      then the responses curl received and what reached the upstream.
# Exit codes: 0 ran; 3 nginx refused the module (startup failed with "failed loading", "unknown
# ABI version", "missing host function", "incompatible ... interface", "missing malloc", or
# wasmtime's "incompatible import type" for an import of another signature); 1 nginx
# or the adapter broke (crash, no startup, unexpected exit); 2 the environment is unusable.
#
# Shared with envoy.sh, and looked for next to this script (symlinks to it are followed):
# common.sh (the steps of `run` above, traps and cleanup, stopping nginx, the exit codes) and
# proxy_driver.py (the upstream, the curl requests, ticks, the report; its
# "kong-ngx-wasm-module" section writes nginx.conf, parses the error log and knows the refusal
# messages). This script keeps the environment checks, `info`, and nginx's command line.
#
# Requirements: bash, python3 (standard library only), curl, and an nginx binary with
# ngx_wasm_module compiled in. For a dynamic module set NGX_WASM_MODULE_SO to the .so file
# (it becomes a `load_module` line). Nothing here builds nginx or fetches anything.
#
# Environment: NGINX (required; nginx itself is started without it); NGX_WASM_MODULE_SO;
# PWTCK_KONG_QUEUES (queue names declared as `shm_queue` zones, separated by spaces; default:
# the probes' own); PWTCK_KEEP_WORK=1 keeps the temporary directory and prints its path on
# stderr; PWTCK_START_TIMEOUT (seconds nginx gets to come up, default 6);
# PWTCK_REQUEST_TIMEOUT (seconds per request, default 3).
#
# Not driven, and not claimed in `info`: TCP connections, gRPC, HTTP calls to scripted
# upstreams, foreign functions, queue producers, request trailers, the chunking of bodies
# (nginx sees one body), WASI environment variables, scenario `properties`/`log_level`/`limits`.
# Ticks run in real time, so a plugin that keeps its timer gets as many ticks as the wall
# clock gives it, not exactly the scenario's number.
#
# VERIFIED against nginx 1.27.4 with Kong's ngx_wasm_module 3bed278 (static module, wasmtime
# 26.0.1 C API): the whole suite was run through this script (no serve mode, 2 test threads) and
# every failure was traced to the host (ngx_wasm_module source) or to a probe, none to the
# adapter; runner/expectations/kong-ngx-wasm-module.toml records them. Fixed by that run:
# nginx is started without NGINX in its environment (see nginx_cmd), wasmtime's "incompatible
# import type" counts as a refusal, `shm_queue` zones are declared for the probes' queue
# names, and the two server ports are picked together (two single picks once returned the same
# port, so the readiness request ran the filter a second time). Not run: a dynamic module
# (NGX_WASM_MODULE_SO), other nginx or module versions, other runtimes (wasmer, V8), whose log
# lines may differ.

set -eu

ME=kong-ngx-wasm-module
PROXY=nginx
PROXY_VAR=NGINX
PROXY_STOP_SIGNAL=QUIT

# The shared files sit next to this script, wherever it is called from and through links.
HERE=$(cd "$(dirname "$(readlink -f "$0" 2>/dev/null || printf '%s' "$0")")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh" || { printf '%s adapter: %s/common.sh is missing\n' "$ME" "$HERE" >&2; exit 2; }

# nginx reads an environment variable named NGINX itself, as the list of listening sockets
# inherited on a binary upgrade (src/core/nginx.c ngx_add_inherited_sockets): started with
# NGINX=/path/to/nginx it logs `invalid socket number ... in NGINX environment variable` at
# [emerg] first thing, which buries the real reason of any later startup failure. So nginx runs
# without it (`env` execs nginx, so in cmd_run PROXY_PID=$! is nginx itself).
nginx_cmd() {
    env -u NGINX "$NGINX" "$@"
}

check_environment() {
    require_proxy "point it at an nginx binary built with ngx_wasm_module, e.g. NGINX=/usr/local/nginx/sbin/nginx $0 info"
    require_tools
    if [ -n "${NGX_WASM_MODULE_SO:-}" ] && [ ! -r "$NGX_WASM_MODULE_SO" ]; then
        unusable "NGX_WASM_MODULE_SO=$NGX_WASM_MODULE_SO is not a readable file"
    fi
}

cmd_info() {
    check_environment
    local version
    version=$(nginx_cmd -v 2>&1 </dev/null | sed -n 's|.*nginx/\([0-9][0-9.]*\).*|\1|p' | head -n 1) || version=
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
    #   shared_queues  each queue is an `shm_queue NAME SIZE;` zone, so the plan declares one
    #                  per queue name the probes register (proxy_driver.py KONG_QUEUES) and the
    #                  register/enqueue/dequeue cases run; but `events[].enqueue` (another
    #                  producer) has no nginx equivalent and proxy_on_queue_ready is not
    #                  implemented (docs/PROXY_WASM.md), so the capability is not claimed.
    #   grpc, tcp, foreign_functions: not driven by this adapter.
    printf '{"protocol": 1, "name": "%s", "version": "%s", "abi_versions": ["0.1.0", "0.2.0", "0.2.1"], "capabilities": ["http", "http_events", "ticks", "shared_data", "metrics", "properties", "refusal"], "serve": false}\n' \
        "$ME" "$version"
}

cmd_run() {
    local module=$1 scenario=$2 ready_port
    check_environment
    begin_run "$module" "$scenario" pwtck-kong
    mkdir -p "$WORK/prefix/logs"
    # No scenario: scripted upstreams (http_calls) are not routed here.
    # shellcheck disable=SC2119 # start_upstream's one argument is optional
    start_upstream

    # Writes $WORK/nginx.conf; prints the port of the server without the filter.
    ready_port=$(helper plan "$module" "$scenario" "$WORK")

    local -a args=(-p "$WORK/prefix/" -c "$WORK/nginx.conf")
    # -e (nginx >= 1.19.5) sends even the earliest startup errors to our log.
    if nginx_cmd -h 2>&1 | grep -q -- '-e filename'; then
        args+=(-e "$WORK/prefix/logs/error.log")
    fi
    # Not through nginx_cmd: a backgrounded function is a subshell, and $! must be nginx.
    env -u NGINX "$NGINX" "${args[@]}" >"$WORK/nginx.stdout" 2>&1 &
    PROXY_PID=$!

    finish_run http "$ready_port"
}

dispatch "$@"
