# shellcheck shell=bash
# Shell side shared by the proxy adapters (kong-ngx-wasm-module.sh, envoy.sh); sourced, not run.
# It holds the skeleton of `run` — work directory, traps and cleanup, the loopback upstream,
# waiting for the proxy, driving the scenario, stopping the proxy, the exit code — and calls
# proxy_driver.py (next to this file) for every step done in python. What differs per proxy
# (checking its binary, the info JSON, starting it with its configuration) stays in the script.
#
# The sourcing script sets, before sourcing:
#   ME                 the adapter's name: the `name` in info, the prefix of messages on stderr,
#                      and the host proxy_driver.py is told about (--host)
#   PROXY              the proxy's name in messages ("nginx", "envoy")
#   PROXY_VAR          the environment variable that names the proxy binary ("NGINX", "ENVOY")
#   PROXY_STOP_SIGNAL  the signal that stops the proxy gracefully ("QUIT", "TERM")
# and, for `run`, starts the proxy in the background with PROXY_PID=$! between begin_run /
# start_upstream / `helper plan` and finish_run.
#
# Exit codes used here: 2 the environment is unusable (usage, unusable), and finish_run's
# 0 ran / 3 refused / 1 broken; a SIGTERM exits 143 and a SIGINT 130, after cleanup.

: "${ME:?set ME before sourcing common.sh}"
: "${PROXY:?set PROXY before sourcing common.sh}"
: "${PROXY_VAR:?set PROXY_VAR before sourcing common.sh}"
: "${PROXY_STOP_SIGNAL:?set PROXY_STOP_SIGNAL before sourcing common.sh}"

PROXY_DRIVER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/proxy_driver.py

usage() {
    printf 'usage: %s=/path/to/%s %s info | run MODULE.wasm SCENARIO.json\n' "$PROXY_VAR" "$PROXY" "$0" >&2
    exit 2
}

unusable() {
    printf '%s adapter: %s\n' "$ME" "$*" >&2
    exit 2
}

# check_environment pieces. require_proxy HINT: the variable $PROXY_VAR names an executable
# file; HINT says where to point it when it is not set.
require_proxy() {
    local binary=${!PROXY_VAR:-}
    if [ -z "$binary" ]; then
        unusable "$PROXY_VAR is not set; $1"
    fi
    if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
        unusable "$PROXY_VAR=$binary is not an executable file"
    fi
}

# The tools every run needs besides the proxy.
require_tools() {
    command -v python3 >/dev/null 2>&1 || unusable "python3 is required (only its standard library is used)"
    command -v curl >/dev/null 2>&1 || unusable "curl is required to send the scenario's HTTP requests"
    [ -r "$PROXY_DRIVER" ] || unusable "$PROXY_DRIVER is missing; it ships next to this adapter"
}

# --- run -------------------------------------------------------------------------------------

WORK=
PROXY_PID=
UPSTREAM_PID=
DRIVE_PID=
STATUS=0

cleanup() {
    if [ -n "$DRIVE_PID" ] && kill -0 "$DRIVE_PID" 2>/dev/null; then
        kill -TERM "$DRIVE_PID" 2>/dev/null || true
    fi
    if [ -n "$PROXY_PID" ] && kill -0 "$PROXY_PID" 2>/dev/null; then
        kill -KILL "$PROXY_PID" 2>/dev/null || true
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

# Foreground driver steps, for this adapter's host. Background ones call python3 directly, so
# that $! is python's pid.
helper() {
    python3 "$PROXY_DRIVER" --host "$ME" "$@"
}

# begin_run MODULE SCENARIO NAME: checks that both files are readable, makes WORK (a fresh
# $TMPDIR/NAME.XXXXXX) and sets the traps that clean up on exit, SIGTERM and SIGINT.
begin_run() {
    if [ ! -f "$1" ] || [ ! -r "$1" ]; then
        unusable "cannot read module $1"
    fi
    if [ ! -f "$2" ] || [ ! -r "$2" ]; then
        unusable "cannot read scenario $2"
    fi
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$3.XXXXXX")
    trap cleanup EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
}

# start_upstream [SCENARIO]: starts the loopback upstream (with SCENARIO, also its scripted
# `upstreams`) and waits until its ports are in $WORK/upstream.ports.json.
start_upstream() {
    python3 "$PROXY_DRIVER" upstream "$WORK" "$@" &
    UPSTREAM_PID=$!
    local i=0
    while [ ! -s "$WORK/upstream.ports.json" ]; do
        kill -0 "$UPSTREAM_PID" 2>/dev/null || unusable "the loopback upstream did not start"
        [ "$i" -lt 100 ] || unusable "the loopback upstream did not start within 5 s"
        sleep 0.05
        i=$((i + 1))
    done
}

# wait_ready http|tcp PORT: waits until PORT answers an HTTP request (http) or accepts a
# connection (tcp; a bare connect sends no request through the filter). Returns 1 if the proxy
# exits, 2 if PWTCK_START_TIMEOUT (default 6) seconds pass.
wait_ready() {
    local kind=$1 port=$2 deadline=$(( $(date +%s) + ${PWTCK_START_TIMEOUT:-6} ))
    while [ "$(date +%s)" -le "$deadline" ]; do
        kill -0 "$PROXY_PID" 2>/dev/null || return 1
        if [ "$kind" = http ]; then
            if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
                return 0
            fi
        elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 2
}

# Stops the proxy gracefully (SIG$PROXY_STOP_SIGNAL), then by force; leaves its exit status in
# STATUS.
stop_proxy() {
    local i=0
    kill -"$PROXY_STOP_SIGNAL" "$PROXY_PID" 2>/dev/null || true
    while kill -0 "$PROXY_PID" 2>/dev/null && [ "$i" -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    if kill -0 "$PROXY_PID" 2>/dev/null; then
        printf '%s adapter: %s ignored SIG%s for 5 s; killing it\n' "$ME" "$PROXY" "$PROXY_STOP_SIGNAL" >&2
        kill -KILL "$PROXY_PID" 2>/dev/null || true
    fi
    reap_proxy
}

# Collects the proxy's exit status (it has exited or is about to) into STATUS.
reap_proxy() {
    STATUS=0
    wait "$PROXY_PID" 2>/dev/null || STATUS=$?
    PROXY_PID=
}

# finish_run http|tcp PORT: the rest of `run` once the proxy is started (PROXY_PID): waits for
# it (see wait_ready), drives the scenario, stops it, prints the report, and exits 0 (ran),
# 3 (refused at startup) or 1 (the proxy or the adapter broke).
finish_run() {
    local kind=$1 port=$2 ready=0 verdict what=listen
    if [ "$kind" = http ]; then what=answer; fi
    wait_ready "$kind" "$port" || ready=$?
    if [ "$ready" -eq 2 ]; then
        printf '%s adapter: %s did not %s within %s s\n' "$ME" "$PROXY" "$what" "${PWTCK_START_TIMEOUT:-6}" >&2
        stop_proxy
        helper report "$WORK" broken
        exit 1
    fi
    if [ "$ready" -ne 0 ]; then
        reap_proxy
        verdict=$(helper classify "$WORK" "$STATUS")
        helper report "$WORK" "$verdict"
        case "$verdict" in
        refused) exit 3 ;;
        ran) exit 0 ;;
        *)
            printf '%s adapter: %s exited during startup (status %s)\n' "$ME" "$PROXY" "$STATUS" >&2
            exit 1
            ;;
        esac
    fi

    # In the background, so that a SIGTERM is handled at once rather than after the events.
    python3 "$PROXY_DRIVER" --host "$ME" drive "$WORK" &
    DRIVE_PID=$!
    wait "$DRIVE_PID" || true
    DRIVE_PID=

    if ! kill -0 "$PROXY_PID" 2>/dev/null; then
        reap_proxy
        helper report "$WORK" broken
        printf '%s adapter: %s died while the scenario ran (status %s)\n' "$ME" "$PROXY" "$STATUS" >&2
        exit 1
    fi
    stop_proxy
    helper report "$WORK" ran
    if [ "$STATUS" -ne 0 ]; then
        printf '%s adapter: %s exited with status %s on shutdown\n' "$ME" "$PROXY" "$STATUS" >&2
        exit 1
    fi
    exit 0
}

# The command line every adapter takes; the script defines cmd_info and cmd_run.
dispatch() {
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
}
