#!/usr/bin/env python3
"""`BENCH_MODE=probe make bench`: the live preflight probe against a vos-sim fleet's HTTPS endpoints.

Started by bench/run.sh. One `vos-sim fleet` (drift on every 7th node, served over SSH and HTTPS
with the CA it writes); `cors-audit probe` once per concurrency in BENCH_PROBE_CONCURRENCY, then
one `cors-audit audit --probe` (SSH then HTTPS). Each run is checked against planted.json exactly:
every planted missing origin refused and nothing else, every preflight answered; with the CLI
lists read, every planted extra entry allowed and flagged. Prints a Markdown table of wall time,
CPU, peak RSS and preflights per second. Only the standard library.
"""
import datetime
import json
import os
import re
import secrets
import subprocess
import sys
import time

from fleet import cpu_seconds, log as _log, start as start_fleet, stop as stop_fleet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = os.environ
N = int(ENV.get("BENCH_N", 500))
CONCURRENCIES = ENV.get("BENCH_PROBE_CONCURRENCY", "all,64,16").split(",")
BIN = ENV.get("BENCH_BIN", os.path.join(ROOT, ".build-release", "release"))
WORK = ENV.get("BENCH_WORK", os.path.join(ROOT, ".build-bench", "run")) + "/probe"
TIME = "/usr/bin/time"


def log(msg):
    _log("probe", msg)


def measured(name, args, env, sim):
    out = os.path.join(WORK, name)
    timing = os.path.join(WORK, name + ".time")
    sim_cpu = cpu_seconds(sim.pid)
    start = time.time()
    run = subprocess.run([TIME, "-v", "-o", timing, os.path.join(BIN, "cors-audit")] + args +
                         ["--output", out, "--format", "json", "--quiet"],
                         env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(WORK, name + ".stderr"), "w"))
    wall = time.time() - start
    text = open(timing).read()
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", text).group(1)) for k in ("User", "System"))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    report = json.load(open(os.path.join(out, "report.json")))
    log(f"{name}: exit {run.returncode}, {wall:.1f} s")
    return dict(name=name, code=run.returncode, wall=wall, cpu=cpu, rss=rss, sim_cpu=cpu_seconds(sim.pid) - sim_cpu, report=report)


def findings(report, kind):
    return {(f["host"], f["list"], f["origin"]) for f in report["findings"] if f["kind"] == kind}


def main():
    os.makedirs(WORK, exist_ok=True)
    env = dict(ENV, VOS_SIM_PASSWORD=secrets.token_urlsafe(16), NO_COLOR="1")
    sim, fleet, ready = start_fleet(BIN, WORK, ["--nodes", str(N), "--drift-every", "7", "--startup", "0.05",
                                                "--command-delay", "0.01", "--connect-timeout", "10"],
                                    env, os.path.join(ENV.get("BENCH_WORK", WORK), "vos-sim.pid"))
    runs = []
    try:
        log(ready)
        common = ["--inventory", os.path.join(fleet, "inventory.yaml"), "--ca-file", os.path.join(fleet, "ca.pem")]
        for c in CONCURRENCIES:
            runs.append(measured(f"probe-{c}", ["probe", "--no-history"] + common + ([] if c == "all" else ["--concurrency", c]), env, sim))
        runs.append(measured("audit-probe-all", ["audit", "--probe", "--no-history"] + common, env, sim))
    finally:
        stop_fleet(sim)

    planted = json.load(open(os.path.join(fleet, "planted.json")))["drift"]
    missing = {(d["host"], d["list"], o) for d in planted for o in d["missing"]}
    extra = {(d["host"], d["list"], o) for d in planted for o in d["extra"]}
    checks, rows = [], []
    for r in runs:
        rep, with_lists = r["report"], r["name"].startswith("audit")
        results = rep["probe"]["results"]
        checks += [
            (f"{r['name']}: refused exactly the {len(missing)} planted missing origins", findings(rep, "preflight-rejected") == missing),
            (f"{r['name']}: allowed exactly the {len(extra) if with_lists else 0} planted extra entries",
             findings(rep, "preflight-unexpected-allow") == (extra if with_lists else set())),
            (f"{r['name']}: every preflight answered", rep["summary"]["preflights_without_answer"] == 0),
            (f"{r['name']}: exit 1 (drift)", r["code"] == 1),
        ]
        rows.append(f"| `{r['name']}` | {len(results)} | {r['wall']:.2f} s | {len(results) / r['wall']:.0f} | "
                    f"{r['cpu']:.1f} s | {r['rss'] / 1024:.0f} MB | {r['sim_cpu']:.1f} s |")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    lines = [
        f"## Preflight probe against {N} vos-sim nodes (drift on every 7th), {stamp}",
        "",
        f"binaries: `{BIN}`; {os.cpu_count()} cores; `probe-C`: `cors-audit probe --concurrency C`; "
        "`audit-probe-all`: `cors-audit audit --probe` (SSH audit included in its times)",
        "",
        "| run | preflights | wall | preflights/s | CPU (user + sys) | peak RSS | vos-sim CPU |",
        "|---|---|---|---|---|---|---|",
    ] + rows + ["", "| check | |", "|---|---|"] + [f"| {name} | {'✓' if ok else '✗'} |" for name, ok in checks]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(ROOT, "reports", "bench"), exist_ok=True)
    with open(os.path.join(ROOT, "reports", "bench", f"probe-{stamp}.md"), "w") as f:
        f.write(text)
    sys.exit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    main()
