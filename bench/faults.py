#!/usr/bin/env python3
"""`BENCH_MODE=faults make bench`: cors-audit against a vos-sim fleet with random faults.

Started by bench/run.sh. One `vos-sim fleet --fault-rate R --seed S` process; one measured
`cors-audit audit` run; checks report.json against planted.json exactly (every node accounted
for, the totals per status, the drift where lists were read); prints a Markdown table of wall
time, CPU, peak RSS and the run's descriptors and threads (at its start, at peak, at its end).
Only the standard library: no venv needed.
"""
import collections
import datetime
import json
import os
import re
import secrets
import subprocess
import sys
import time

from fleet import cpu_seconds, sample_while_running, log as _log, start as start_fleet, stop as stop_fleet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = os.environ
N = int(ENV.get("BENCH_N", 1000))
RATE = float(ENV.get("BENCH_FAULT_RATE", 0.1))
SEED = int(ENV.get("BENCH_SEED", 7))
CONCURRENCY = ENV.get("BENCH_CONCURRENCY", "")           # empty: every node at once (the tool's default)
TIMEOUTS = ENV.get("BENCH_TIMEOUTS", "10,10,10")           # connect, login, command (seconds)
BIN = ENV.get("BENCH_BIN", os.path.join(ROOT, ".build-release", "release"))
WORK = ENV.get("BENCH_WORK", os.path.join(ROOT, ".build-bench", "run")) + "/faults"
TIME = "/usr/bin/time"

# The status each planted fault must give (as in Tests/FaultMatrixTests/LoadTests.swift).
STATUS_OF_FAULT = {
    "refuse": "unreachable", "silent": "unreachable", "garbage_banner": "unreachable", "no_common_algorithm": "unreachable",
    "wrong_host_key": "host_key_rejected", "unknown_host_key": "host_key_rejected",
    "reject_auth": "auth_failed", "kbd_int_unexpected_prompt": "auth_failed",
    "never_prompt": "timeout", "drop_mid_output": "disconnected",
    "garbage_output": "unparsed", "unknown_output": "unparsed", "confirm_prompt": "command_failed",
}


def log(msg):
    _log("faults", msg)


def main():
    os.makedirs(WORK, exist_ok=True)
    password = secrets.token_urlsafe(16)
    env = dict(ENV, VOS_SIM_PASSWORD=password, NO_COLOR="1")
    connect, login, command = TIMEOUTS.split(",")
    sim, fleet, ready = start_fleet(BIN, WORK, [
        "--nodes", str(N), "--fault-rate", str(RATE), "--seed", str(SEED), "--drift-every", "7", "--startup", "0.05",
        "--command-delay", "0.01", "--connect-timeout", connect, "--login-timeout", login, "--command-timeout", command],
        env, os.path.join(ENV.get("BENCH_WORK", WORK), "vos-sim.pid"))
    try:
        log(ready)
        out = os.path.join(WORK, "run")
        args = [TIME, "-v", "-o", os.path.join(WORK, "time.txt"), os.path.join(BIN, "cors-audit"), "audit",
                "--inventory", os.path.join(fleet, "inventory.yaml"), "--output", out, "--no-history", "--format", "json", "--quiet"]
        if CONCURRENCY:
            args += ["--concurrency", CONCURRENCY]
        sim_cpu = cpu_seconds(sim.pid)
        start = time.time()
        run = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(WORK, "run.stderr"), "w"))
        # /usr/bin/time's child is cors-audit: its descriptors and threads sampled while it runs.
        samples = sample_while_running(run)
        wall = time.time() - start
        sim_cpu = cpu_seconds(sim.pid) - sim_cpu
        code = run.returncode
    finally:
        stop_fleet(sim)
    timing = open(os.path.join(WORK, "time.txt")).read()
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", timing).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", timing).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1))

    report = json.load(open(os.path.join(out, "report.json")))
    planted = json.load(open(os.path.join(fleet, "planted.json")))
    fault_of = {f["host"]: f["fault"] for f in planted["faults"]}
    nodes = [n for n in report["nodes"] if n["status"] != "skipped"]
    wrong = [f'{n["host"]} [{fault_of.get(n["host"], "healthy")}]: {n["status"]} {(n["detail"] or "")[:200]}'
             for n in nodes if n["status"] != STATUS_OF_FAULT.get(fault_of.get(n["host"]), "audited")]
    got = collections.Counter(n["status"] for n in nodes)
    want = collections.Counter(STATUS_OF_FAULT[f] for f in fault_of.values())
    want["audited"] = N - len(fault_of)
    readable = {h for h in (n["host"] for n in nodes) if h not in fault_of or fault_of[h] == "unknown_output"}
    planted_findings = {f'{k} {d["host"]} {d["list"]} {o}' for d in planted["drift"] if d["host"] in readable
                        for k, os_ in (("missing-origin", d["missing"]), ("unexpected-origin", d["extra"])) for o in os_}
    found = {f'{f["kind"]} {f["host"]} {f["list"]} {f["origin"]}' for f in report["findings"]
             if f.get("host") and f["kind"] in ("missing-origin", "unexpected-origin")}
    checks = [
        ("every node accounted for", len(nodes) == N),
        ("each node's status as planted", not wrong),
        ("totals per status", got == want),
        ("drift found exactly where lists were read", found == planted_findings),
        ("exit code 2 (incomplete)", code == 2),
    ]
    first, peak_fd, peak_task, last = samples[0] if samples else (None, None), None, None, samples[-1] if samples else (None, None)
    if samples:
        peak_fd = max(s[0] for s in samples)
        peak_task = max(s[1] for s in samples)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    lines = [
        f"## cors-audit against {N} nodes with {len(fault_of)} random faults (seed {SEED}), {stamp}",
        "",
        f"binaries: `{BIN}`; concurrency: {CONCURRENCY or 'all at once'}; timeouts connect/login/command {TIMEOUTS} s; "
        f"{os.cpu_count()} cores",
        "",
        "| measure | value |",
        "|---|---|",
        f"| wall time | {wall:.1f} s |",
        f"| cors-audit CPU (user + sys) | {user + system:.1f} s ({(user + system) / N * 1000:.1f} ms/node) |",
        f"| cors-audit peak RSS | {rss / 1024:.0f} MB |",
        f"| vos-sim CPU over the run | {sim_cpu:.1f} s |",
        f"| descriptors: first sample / peak / last sample | {first[0]} / {peak_fd} / {last[0]} |",
        f"| threads: first sample / peak / last sample | {first[1]} / {peak_task} / {last[1]} |",
        f"| statuses | {', '.join(f'{k} {v}' for k, v in sorted(got.items()))} |",
        "",
        "| check | |",
        "|---|---|",
    ] + [f"| {name} | {'✓' if ok else '✗'} |" for name, ok in checks]
    if wrong:
        lines += ["", "Wrong statuses:", ""] + [f"- {w}" for w in wrong[:20]]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(ROOT, "reports", "bench"), exist_ok=True)
    with open(os.path.join(ROOT, "reports", "bench", f"faults-{stamp}.md"), "w") as f:
        f.write(text)
    sys.exit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    main()
