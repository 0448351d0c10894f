#!/usr/bin/env python3
"""`BENCH_MODE=scale make bench`: cors-audit alone at growing N, the simulator on its own core.

For each size in BENCH_SIZES (default 500,2000) a fresh `vos-sim fleet` (pinned to the last core, one event-loop
thread) and cors-audit (pinned to the other cores) under /usr/bin/time -v with `--cpu-report`: wall, CPU per node
by stage and SSH phase, peak RSS, descriptors and threads sampled every 20 ms, the drift found against
planted.json. BENCH_VARIANTS (e.g. "a:CORS_AUDIT_X=0;b:CORS_AUDIT_X=1", environment settings the binary reads) adds,
at BENCH_VARIANTS_N (default 500), one row per variant: the same runs with those environment settings, for A/B
tables. See bench/README.md.
"""
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the simulator, the inventory cut, the findings check and the phase table)
from fleet import sample_while_running  # noqa: E402

ENV = os.environ
SIZES = [int(s) for s in ENV.get("BENCH_SIZES", "500,2000").split(",") if s]
# "label:NAME=VALUE,NAME=VALUE;label2:..." (empty: none)
VARIANTS = [(label, dict(kv.split("=", 1) for kv in settings.split(",") if kv))
            for label, _, settings in (v.partition(":") for v in ENV.get("BENCH_VARIANTS", "").split(";") if v)]
VARIANTS_N = int(ENV.get("BENCH_VARIANTS_N", "500"))
REPEAT = int(ENV.get("BENCH_REPEAT", "3"))
# `--concurrency` for the size runs (empty: every node at once, the default; at 5,000 the simulator's one core cannot
# finish 5,000 handshakes within the 10 s connect limit).
CONCURRENCY = ENV.get("BENCH_CONCURRENCY", "")


def measured(name, cmd, env):
    """One cors-audit run under /usr/bin/time -v, its descriptors and threads sampled while it runs."""
    time_path = os.path.join(bench.WORK, f"{name}.time")
    err = open(os.path.join(bench.WORK, f"{name}.stderr"), "w")
    start = time.monotonic()
    run = subprocess.Popen(bench.CLIENT_PREFIX + [bench.TIME, "-v", "-o", time_path] + cmd, env=env,
                           stdout=subprocess.DEVNULL, stderr=err)
    samples = sample_while_running(run, start + bench.RUN_TIMEOUT, name)
    wall = time.monotonic() - start
    r = bench.parse_time_v(time_path)
    r.update(wall_s=wall, exit=run.returncode,
             fd_first=samples[0][0] if samples else 0, fd_peak=max((s[0] for s in samples), default=0),
             fd_last=samples[-1][0] if samples else 0,
             threads_peak=max((s[1] for s in samples), default=0), threads_last=samples[-1][1] if samples else 0)
    return r


def audit(name, inventory, env, sim, extra=(), prefix=None):
    outdir = os.path.join(bench.WORK, name)
    shutil.rmtree(outdir, ignore_errors=True)
    profile = os.path.join(bench.WORK, f"{name}.cpu.json")
    cmd = [os.path.join(bench.BIN, "cors-audit"), "audit", "--inventory", inventory, "--format", "json",
           "--output", outdir, "--no-history", "--quiet", "--cpu-report", profile] + list(extra)
    saved = bench.CLIENT_PREFIX
    if prefix is not None:
        bench.CLIENT_PREFIX = prefix
    before = sim.cpu_seconds()
    try:
        r = measured(name, cmd, env)
    finally:
        bench.CLIENT_PREFIX = saved
    r["sim_cpu_s"] = sim.cpu_seconds() - before
    if r["exit"] not in (0, 1):
        raise RuntimeError(f"{name}: cors-audit exited {r['exit']} (see {bench.WORK}/{name}.stderr)")
    r["report"] = json.load(open(os.path.join(outdir, "report.json")))
    r["profile"] = json.load(open(profile))
    cpu = r["user_s"] + r["sys_s"]
    bench.log(f"{name}: {r['wall_s']:.2f} s wall, cpu {cpu:.2f} s, rss {r['max_rss_mb']:.1f} MB, "
              f"fd peak {r['fd_peak']}, threads peak {r['threads_peak']}, vos-sim cpu {r['sim_cpu_s']:.2f} s")
    return r


def median_run(runs):
    return sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]


def fleet(n, password):
    bench.N = n
    out = os.path.join(bench.WORK, f"fleet-{n}")
    shutil.rmtree(out, ignore_errors=True)
    saved = bench.SIM_PREFIX
    sim = bench.Simulator(out, password)
    bench.SIM_PREFIX = saved
    sim.wait_ready()
    return sim, out


def main():
    t0 = time.monotonic()
    load_before = bench.loadavg()
    os.makedirs(bench.WORK, exist_ok=True)
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    password = secrets.token_urlsafe(18)
    env = dict(ENV, VOS_SIM_PASSWORD=password)
    rows, phases, checks, variant_rows = [], [], [], []
    t1 = None
    for n in sorted(set(SIZES + ([VARIANTS_N] if VARIANTS else []))):
        sim, out = fleet(n, password)
        try:
            inventory = os.path.join(out, "inventory.yaml")
            inv = yaml.safe_load(open(inventory))
            planted = json.load(open(os.path.join(out, "planted.json")))
            if t1 is None:
                one = bench.cut_inventory(inv, 1, os.path.join(bench.WORK, "scale-inventory-1.yaml"))
                audit("scale-warmup", one, env, sim)
                t1 = median_run([audit(f"scale-1-{i}", one, env, sim) for i in range(REPEAT)])
                rows.append(("T1", 1, t1))
                phases.append(("T1", t1, 1))
            if n in SIZES:
                cap = ["--concurrency", CONCURRENCY] if CONCURRENCY else []
                r = median_run([audit(f"scale-{n}-{i}", inventory, env, sim, extra=cap) for i in range(REPEAT)])
                rows.append((f"T{n}", n, r))
                phases.append((f"T{n}", r, n))
                ok, problems, _ = bench.check_findings(r["report"], planted, bench.audited_hosts(inv))
                checks.append((n, ok, problems))
            if n == VARIANTS_N:
                # Interleaved, so a drift of the machine over the runs does not favour one variant.
                runs = {label: [] for label, _ in VARIANTS}
                for i in range(REPEAT):
                    for label, settings in VARIANTS:
                        runs[label].append(audit(f"variant-{label}-{i}", inventory, dict(env, **settings), sim))
                for label, settings in VARIANTS:
                    desc = ", ".join(f"{k}={v}" for k, v in settings.items())
                    variant_rows.append((f"{label} ({desc})", n, median_run(runs[label])))
        finally:
            sim.stop()

    cpu = lambda r: r["user_s"] + r["sys_s"]
    L = [f"# cors-audit at scale — {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())}\n",
         f"- Machine: {bench.machine()}; load average before {load_before}, after {bench.loadavg()}",
         f"- Binaries: release build of {bench.git_state()}",
         "- Pinning: " + (f"vos-sim on core {bench.SIM_CORES}, cors-audit on core(s) {bench.CLIENT_CORES}" if bench.PIN else "none"),
         f"- Fleet: vos-sim, CLI start-up {bench.STARTUP:g} s, {bench.CMD_DELAY:g} s per command; medians of {REPEAT} runs",
         f"- Whole run: {time.monotonic() - t0:.0f} s\n",
         "| run | nodes | wall s | wall / T1 | client CPU s | CPU ms/node | peak RSS MB | fds first/peak/last | threads peak/last | vos-sim CPU s |",
         "|---|---:|---:|---:|---:|---:|---:|---|---|---:|"]
    for label, n, r in rows + variant_rows:
        L.append(f"| {label} | {n} | {r['wall_s']:.2f} | {r['wall_s'] / t1['wall_s']:.2f} | {cpu(r):.2f} | {cpu(r) * 1000 / n:.2f} | "
                 f"{r['max_rss_mb']:.1f} | {r['fd_first']}/{r['fd_peak']}/{r['fd_last']} | {r['threads_peak']}/{r['threads_last']} | {r['sim_cpu_s']:.2f} |")
    L.append("\n## Client CPU by stage and SSH phase\n")
    L.extend(bench.phase_table(phases + [(label, r, n) for label, n, r in variant_rows]))
    L.append("\n## Findings versus planted.json\n")
    for n, ok, problems in checks:
        L.append(f"- N={n}: **{'PASS' if ok else 'FAIL'}**")
        L.extend(f"  - {p}" for p in problems[:10])
    table = "\n".join(L) + "\n"
    print(table)
    outdir = os.path.join(bench.ROOT, "reports", "bench")
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, time.strftime("scale-%Y-%m-%dT%H-%M-%SZ.md", time.gmtime()))
    open(path, "w").write(table)
    bench.log(f"written {os.path.relpath(path, bench.ROOT)}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
