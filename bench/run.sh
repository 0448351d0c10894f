#!/usr/bin/env bash
# make bench: release binaries, a venv with paramiko, then bench/bench.py (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SCRATCH=${BENCH_SCRATCH:-.build-release}
VENV=${BENCH_VENV:-.build-bench/venv}
WORK=${BENCH_WORK:-$PWD/.build-bench/run}
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
start=$(date +%s)

# The simulator is bench.py's child and is stopped by it (and exits by itself when bench.py's pipe to
# its stdin closes); this trap is the last resort if bench.py itself is killed.
cleanup() {
    if [ -f "$WORK/vos-sim.pid" ]; then
        pid=$(cat "$WORK/vos-sim.pid")
        if [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = vos-sim ]; then
            echo "[bench] stopping leftover vos-sim $pid" >&2
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$WORK/vos-sim.pid"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -x /usr/bin/time ]; then
    echo "[bench] installing Debian's time package (/usr/bin/time -v)" >&2
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq time >/dev/null
fi

echo "[bench] building release binaries in $SCRATCH" >&2
timeout 3600 $SWIFT build -c release --product cors-audit --scratch-path "$SCRATCH" >&2
timeout 3600 $SWIFT build -c release --product vos-sim --scratch-path "$SCRATCH" >&2
BIN=$($SWIFT build -c release --scratch-path "$SCRATCH" --show-bin-path)

if [ "${BENCH_MODE:-}" = faults ] || [ "${BENCH_MODE:-}" = probe ] || [ "${BENCH_MODE:-}" = scale ]; then
    # These modes need no peer and no venv: one fleet, measured runs of cors-audit against it.
    if [ "${BENCH_MODE}" = scale ] && ! python3 -c 'import yaml' 2>/dev/null; then
        echo "[bench] installing Debian's python3-yaml" >&2
        $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-yaml >/dev/null
    fi
    if [ "${BENCH_MODE}" = scale ] && ! command -v taskset >/dev/null; then
        echo "[bench] no taskset (util-linux): the simulator will share the client's cores" >&2
    fi
    ulimit -n "$(ulimit -Hn)"
    mkdir -p "$WORK"
    code=0
    BENCH_BIN="$BIN" BENCH_WORK="$WORK" timeout --signal=TERM --kill-after=30 "${BENCH_TIMEOUT:-3600}" python3 "bench/$BENCH_MODE.py" || code=$?
    echo "[bench] done in $(( $(date +%s) - start )) s (exit $code)" >&2
    exit $code
fi

if ! "$VENV/bin/python" -c 'import paramiko, yaml' 2>/dev/null; then
    echo "[bench] creating $VENV with paramiko and PyYAML from PyPI" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    timeout 600 "$VENV/bin/pip" install -q --disable-pip-version-check paramiko pyyaml >&2
fi

ulimit -n "$(ulimit -Hn)"
mkdir -p "$WORK"
code=0
BENCH_BIN="$BIN" BENCH_WORK="$WORK" BENCH_PYTHON="$VENV/bin/python" \
    timeout --signal=TERM --kill-after=30 "${BENCH_TIMEOUT:-3600}" "$VENV/bin/python" bench/bench.py || code=$?
echo "[bench] done in $(( $(date +%s) - start )) s (exit $code)" >&2
exit $code
