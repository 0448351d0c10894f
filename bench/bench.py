#!/usr/bin/env python3
"""`make bench`: cors-audit against the physical limit and the paramiko peer, in one run.

Started by bench/run.sh (which builds the release binaries and the venv). Everything runs on
loopback against one `vos-sim fleet` process; see bench/README.md for what is measured and how.
"""
import datetime
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import queue

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = os.environ


def env_int(name, default):
    return int(ENV.get(name, default))


def env_float(name, default):
    return float(ENV.get(name, default))


N = env_int("BENCH_N", 500)
N10 = min(env_int("BENCH_N10", 100), N)          # size of the 10-worker peer run
N3 = min(env_int("BENCH_N3", 100), N)            # one node vs this many (the scaling measurement)
# 7, not vos-sim's default 10: the fleet's clusters come in pairs and every fifth is a CUIC publisher plus a
# standalone Live Data node, so every 10th node is always that standalone node (no cluster comparison
# ever fires); 7 plants drift on every kind of node and exercises asymmetric-list too.
DRIFT_EVERY = env_int("BENCH_DRIFT_EVERY", 7)
STARTUP = env_float("BENCH_STARTUP", 2)
CMD_DELAY = env_float("BENCH_COMMAND_DELAY", 0.1)
PEER10_FULL = ENV.get("BENCH_PEER10_FULL", "0") == "1"   # also run the 10-worker peer at N
SKIP_PEER_N = ENV.get("BENCH_SKIP_PEER_N", "0") == "1"
BIN = ENV.get("BENCH_BIN", os.path.join(ROOT, ".build-release", "release"))
PYTHON = ENV.get("BENCH_PYTHON", sys.executable)
WORK = ENV.get("BENCH_WORK", os.path.join(ROOT, ".build-bench", "run"))
TIME = "/usr/bin/time"
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Pinning (BENCH_PIN=1, the default, on a machine with two cores or more): vos-sim on the last core, the client
# (cors-audit or the peer) on the others, so the client's CPU and wall time are its own and not the simulator's.
CORES = os.cpu_count() or 1
PIN = ENV.get("BENCH_PIN", "1") == "1" and CORES >= 2 and shutil.which("taskset") is not None
SIM_CORES = str(CORES - 1)
CLIENT_CORES = ",".join(str(c) for c in range(CORES - 1))
SIM_PREFIX = ["taskset", "-c", SIM_CORES] if PIN else []
CLIENT_PREFIX = ["taskset", "-c", CLIENT_CORES] if PIN else []
READY_TIMEOUT = 300          # seconds for vos-sim to print `ready`
RUN_TIMEOUT = 1800           # seconds for any single measured run


HAS_CPU_REPORT = False       # set from `cors-audit audit --help`


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The simulator

class Simulator:
    def __init__(self, out, password):
        self.out = out
        self.stderr = open(os.path.join(WORK, "vos-sim.stderr"), "w")
        cmd = SIM_PREFIX + [os.path.join(BIN, "vos-sim"), "fleet", "--nodes", str(N), "--drift-every", str(DRIFT_EVERY),
               "--startup", str(STARTUP), "--command-delay", str(CMD_DELAY), "--out", out,
               "--base-address", "127.0.0.1", "--exit-on-stdin-eof"] + (["--threads", "1"] if PIN else [])
        log("starting " + " ".join(cmd))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                     env=dict(ENV, VOS_SIM_PASSWORD=password), text=True)
        with open(os.path.join(WORK, "vos-sim.pid"), "w") as f:
            f.write(str(self.proc.pid))
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        nodes = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"vos-sim did not print ready within {READY_TIMEOUT} s")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError(f"vos-sim exited ({self.proc.wait()}) before ready; see {self.stderr.name}")
            if line.startswith("node "):
                nodes += 1
            if line.startswith("ready"):
                log(f"vos-sim: {line}")
                return nodes

    def cpu_seconds(self):
        """utime + stime of the simulator so far (/proc/<pid>/stat fields 14 and 15)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()          # --exit-on-stdin-eof
            except OSError:
                pass
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        log(f"vos-sim stopped (exit {self.proc.returncode})")


# ---------------------------------------------------------------------------------------------
# Inventories cut from the fleet inventory

def cut_inventory(inv, count, path):
    """The first `count` audited nodes of `inv` (whole clusters, the last one trimmed), at `path`. The trimmed
    cluster's other nodes stay listed with `audit: false`: dropped, its members' `show network cluster` would name
    them as nodes the inventory lacks (node-not-in-inventory), which the benchmark does not plant."""
    out = dict(inv)
    out["clusters"] = []
    left = count
    for cluster in inv["clusters"]:
        if left <= 0:
            break
        c = dict(cluster)
        for key in ("cuic", "live_data"):
            members = []
            for m in cluster.get(key) or []:
                if m.get("audit", True) is False:
                    members.append(m)
                elif left > 0:
                    members.append(m)
                    left -= 1
                else:
                    members.append(dict(m, audit=False))
            c[key] = members
        if c.get("cuic") or c.get("live_data"):
            out["clusters"].append(c)
    with open(path, "w") as f:
        yaml.safe_dump(out, f, sort_keys=False)
    return path


def audited_hosts(inv):
    return [m["host"] for c in inv["clusters"] for k in ("finesse", "cuic", "live_data")
            for m in c.get(k) or [] if m.get("audit", True) is not False]


# ---------------------------------------------------------------------------------------------
# Measured runs

def parse_time_v(path):
    text = open(path).read()

    def grab(label):
        m = re.search(re.escape(label) + r":\s*(\S+)", text)
        return m.group(1) if m else None
    return {"user_s": float(grab("User time (seconds)")), "sys_s": float(grab("System time (seconds)")),
            "max_rss_mb": int(grab("Maximum resident set size (kbytes)")) / 1024.0}


def timed(cmd, name, env, stdout_path):
    """Runs cmd under /usr/bin/time -v; returns wall seconds, exit code and /usr/bin/time's numbers."""
    time_path = os.path.join(WORK, f"{name}.time")
    with open(stdout_path, "w") as out, open(os.path.join(WORK, f"{name}.stderr"), "w") as err:
        start = time.monotonic()
        try:
            code = subprocess.run(CLIENT_PREFIX + [TIME, "-v", "-o", time_path] + cmd, stdout=out, stderr=err, env=env,
                                  timeout=RUN_TIMEOUT).returncode
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{name} did not finish within {RUN_TIMEOUT} s")
        wall = time.monotonic() - start
    r = parse_time_v(time_path)
    r.update(wall_s=wall, exit=code)
    return r


def run_audit(name, inventory, env, sim, history_flag, extra=()):
    outdir = os.path.join(WORK, name)
    shutil.rmtree(outdir, ignore_errors=True)
    profile = os.path.join(WORK, f"{name}.cpu.json")
    cmd = [os.path.join(BIN, "cors-audit"), "audit", "--inventory", inventory, "--format", "json",
           "--output", outdir] + history_flag + (["--cpu-report", profile] if HAS_CPU_REPORT else []) + list(extra)
    before = sim.cpu_seconds()
    r = timed(cmd, name, env, os.path.join(WORK, f"{name}.json"))
    r["sim_cpu_s"] = sim.cpu_seconds() - before
    log(f"{name}: {r['wall_s']:.2f} s wall, exit {r['exit']}, cpu {r['user_s'] + r['sys_s']:.2f} s, "
        f"rss {r['max_rss_mb']:.1f} MB, vos-sim cpu {r['sim_cpu_s']:.2f} s")
    if r["exit"] not in (0, 1):
        raise RuntimeError(f"{name}: cors-audit exited {r['exit']} (see {WORK}/{name}.stderr)")
    with open(os.path.join(outdir, "report.json")) as f:
        r["report"] = json.load(f)
    if HAS_CPU_REPORT:
        with open(profile) as f:
            r["profile"] = json.load(f)
    return r


def phase_table(runs):
    """Client CPU per node by stage and SSH phase, from each run's --cpu-report: `runs` is [(label, r, nodes)]."""
    runs = [(label, r, n) for label, r, n in runs if r.get("profile")]
    if not runs:
        return ["(this binary has no --cpu-report)"]
    L = ["| client CPU, ms per node | " + " | ".join(f"{label} (N={n})" for label, _, n in runs) + " |",
         "|---|" + "---:|" * len(runs)]
    keys = []
    for _, r, _ in runs:
        for s in r["profile"]["stages"]:
            if ("stage", s["stage"]) not in keys:
                keys.append(("stage", s["stage"]))
    phase_keys = [("phase", p["phase"]) for p in runs[0][1]["profile"]["ssh_phases"]]
    def value(r, key):
        kind, name = key
        items = r["profile"]["stages" if kind == "stage" else "ssh_phases"]
        return sum(i["seconds"] for i in items if i["stage" if kind == "stage" else "phase"] == name)
    for key in keys:
        if key == ("stage", "collect"):
            L.append("| collect (all SSH threads and the resolver) | " + " | ".join(f"{value(r, key) * 1000 / n:.2f}" for _, r, n in runs) + " |")
            for pk in phase_keys:
                L.append(f"| · SSH {pk[1]} | " + " | ".join(f"{value(r, pk) * 1000 / n:.3f}" for _, r, n in runs) + " |")
        else:
            L.append(f"| {key[1]} | " + " | ".join(f"{value(r, key) * 1000 / n:.2f}" for _, r, n in runs) + " |")
    L.append("| whole process (user + system) | " + " | ".join(
        f"{(r['profile']['process']['user_seconds'] + r['profile']['process']['system_seconds']) * 1000 / n:.2f}" for _, r, n in runs) + " |")
    L.append("| poll-loop threads | " + " | ".join(str(r["profile"]["poll_loop_threads"]) for _, r, _ in runs) + " |")
    return L


def run_peer(name, inventory, workers, limit, env, sim):
    cmd = [PYTHON, os.path.join(ROOT, "bench", "peer.py"), "--inventory", inventory,
           "--workers", str(workers), "--limit", str(limit)]
    before = sim.cpu_seconds()
    r = timed(cmd, name, env, os.path.join(WORK, f"{name}.json"))
    r["sim_cpu_s"] = sim.cpu_seconds() - before
    with open(os.path.join(WORK, f"{name}.json")) as f:
        r["result"] = json.load(f)
    res = r["result"]
    log(f"{name}: {res['nodes']} nodes, {res['workers']} workers: {r['wall_s']:.2f} s wall, "
        f"{res['ok']} ok, {len(res['failures'])} failed, cpu {r['user_s'] + r['sys_s']:.2f} s")
    if res["failures"]:
        first = next(iter(res["failures"].items()))
        raise RuntimeError(f"{name}: {len(res['failures'])} nodes failed, e.g. {first[0]}: {first[1]}")
    return r


# ---------------------------------------------------------------------------------------------
# Exact-match check against planted.json

def check_findings(report, planted, hosts):
    """Every planted deviation found, nothing else. Returns (ok, problems)."""
    problems = []
    hosts = set(hosts)
    drift = [d for d in planted["drift"] if d["host"] in hosts]
    summary = report["summary"]
    if not report.get("complete"):
        problems.append("report is not complete")
    audited = [n for n in report["nodes"] if n["status"] == "audited"]
    if sorted(n["host"] for n in audited) != sorted(hosts):
        bad = [(n["host"], n["status"]) for n in report["nodes"] if n["host"] in hosts and n["status"] != "audited"]
        problems.append(f"{len(audited)} of {len(hosts)} nodes audited; not audited: {bad[:5]}")

    expected = set()
    for d in drift:
        expected |= {(d["host"], d["list"], "missing-origin", o) for o in d["missing"]}
        expected |= {(d["host"], d["list"], "unexpected-origin", o) for o in d["extra"]}
    node_level = [f for f in report["findings"] if f.get("host") is not None]
    found = {(f["host"], f["list"], f["kind"], f.get("origin")) for f in node_level}
    if len(found) != len(node_level):
        problems.append("duplicate node-level findings")
    for miss in sorted(expected - found):
        problems.append(f"planted but not found: {miss}")
    for extra in sorted(found - expected):
        problems.append(f"found but not planted: {extra}")

    # Cluster level: exactly one asymmetric-list per (cluster, list) whose nodes (two or more
    # holding the list) include a planted deviation, naming only planted hosts; nothing else.
    cluster_of = {n["host"]: n["cluster"] for n in report["nodes"]}
    holders = {}
    for n in report["nodes"]:
        for lst, body in (n.get("lists") or {}).items():
            if body and body.get("origins") is not None:
                holders.setdefault((n["cluster"], lst), []).append(n["host"])
    planted_by_group = {}
    for d in drift:
        planted_by_group.setdefault((cluster_of.get(d["host"]), d["list"]), set()).add(d["host"])
    expected_groups = {g for g, hs in planted_by_group.items() if len(holders.get(g, [])) > 1}
    cluster_level = [f for f in report["findings"] if f.get("host") is None]
    seen = set()
    for f in cluster_level:
        g = (f["cluster"], f["list"])
        if f["kind"] != "asymmetric-list" or g not in expected_groups or g in seen:
            problems.append(f"unexpected cluster finding: {f['kind']} {g}")
            continue
        seen.add(g)
        if not set(f["hosts"]) or not set(f["hosts"]) <= planted_by_group[g]:
            problems.append(f"asymmetric-list {g} names {f['hosts']}, planted {sorted(planted_by_group[g])}")
    for g in sorted(expected_groups - seen):
        problems.append(f"no asymmetric-list for {g}")
    stats = {"planted_lists": len(drift), "expected_node_findings": len(expected), "node_findings": len(node_level),
             "expected_cluster_findings": len(expected_groups), "cluster_findings": len(cluster_level),
             "summary": summary.get("findings")}
    return not problems, problems, stats


def cross_check_peer(peer_origins, report):
    """The peer read the same lists cors-audit parsed (same origins, same order) on every node it visited."""
    ours = {n["host"]: {k: v.get("origins") for k, v in (n.get("lists") or {}).items()} for n in report["nodes"]}
    diffs = [h for h, lists in peer_origins.items() if ours.get(h) is not None and
             any(ours[h].get(k) != v for k, v in lists.items())]
    return diffs


# ---------------------------------------------------------------------------------------------

def machine():
    cores = os.cpu_count()
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) / 1024 / 1024
    return f"{cores} cores ({model or platform.machine()}), {mem:.1f} GB RAM, Linux {platform.release()}"


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def main():
    t0 = time.monotonic()
    global LOAD_BEFORE
    LOAD_BEFORE = loadavg()
    os.makedirs(WORK, exist_ok=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    log(f"RLIMIT_NOFILE {hard}; N={N}, N10={N10}, scaling size {N3}; work folder {WORK}")
    password = secrets.token_urlsafe(18)
    env = dict(ENV, VOS_SIM_PASSWORD=password)
    help_text = subprocess.run([os.path.join(BIN, "cors-audit"), "audit", "--help"], capture_output=True,
                               text=True, timeout=60).stdout
    history_flag = ["--no-history"] if "--no-history" in help_text else []
    global HAS_CPU_REPORT
    HAS_CPU_REPORT = "--cpu-report" in help_text

    fleet = os.path.join(WORK, "fleet")
    shutil.rmtree(fleet, ignore_errors=True)
    sim = Simulator(fleet, password)
    stop_once = threading.Lock()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    try:
        served = sim.wait_ready()
        inventory = os.path.join(fleet, "inventory.yaml")
        with open(inventory) as f:
            inv = yaml.safe_load(f)
        with open(os.path.join(fleet, "planted.json")) as f:
            planted = json.load(f)
        all_hosts = audited_hosts(inv)
        assert len(all_hosts) == N, f"fleet has {len(all_hosts)} audited nodes, expected {N}"
        one = cut_inventory(inv, 1, os.path.join(WORK, "inventory-1.yaml"))
        sub3 = cut_inventory(inv, N3, os.path.join(WORK, f"inventory-{N3}.yaml"))
        log(f"vos-sim serves {served} nodes ({N} audited, {len(planted['drift'])} planted drifted lists)")

        R = {}
        R["warmup"] = run_audit("warmup-1", one, env, sim, history_flag)
        R["T1"] = run_audit("ours-1", one, env, sim, history_flag)
        R["TN"] = run_audit(f"ours-{N}", inventory, env, sim, history_flag)
        if N3 != N:
            R["T3"] = run_audit(f"ours-{N3}", sub3, env, sim, history_flag)
        else:
            R["T3"] = R["TN"]
        ok, problems, stats = check_findings(R["TN"]["report"], planted, all_hosts)
        ok3, problems3, _ = check_findings(R["T3"]["report"], planted, audited_hosts(yaml.safe_load(open(sub3))))

        R["P1"] = run_peer("peer10-1", inventory, 10, 1, env, sim)
        R["P10"] = run_peer(f"peer10-{N10}", inventory, 10, N10, env, sim)
        R["P10N"] = run_peer(f"peer10-{N}", inventory, 10, N, env, sim) if PEER10_FULL and N10 != N else None
        if N3 == N10:
            R["P3"] = R["P10"]
        elif N3 == N and R["P10N"]:
            R["P3"] = R["P10N"]
        else:
            R["P3"] = run_peer(f"peer10-{N3}", inventory, 10, N3, env, sim)
        R["PN"] = None if SKIP_PEER_N else run_peer(f"peerN-{N}", inventory, 0, N, env, sim)

        peer_diffs = []
        for key in ("P10", "PN"):
            if R.get(key):
                peer_diffs += cross_check_peer(R[key]["result"]["origins"], R["TN"]["report"])
    finally:
        sim.stop()

    total = time.monotonic() - t0
    table = render(R, ok, problems, stats, ok3, problems3, peer_diffs, served, total, planted)
    print(table)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    outdir = os.path.join(ROOT, "reports", "bench")
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, f"{stamp}.md")
    with open(path + ".tmp", "w") as f:
        f.write(table)
    os.replace(path + ".tmp", path)
    log(f"written {os.path.relpath(path, ROOT)}; whole benchmark {total:.0f} s")
    return 0 if ok and ok3 and not peer_diffs else 1


def render(R, ok, problems, stats, ok3, problems3, peer_diffs, served, total, planted):
    T1, TN, T3 = R["T1"], R["TN"], R["T3"]
    P1, P10, P10N, P3, PN = R["P1"], R["P10"], R["P10N"], R["P3"], R["PN"]
    cpu = lambda r: r["user_s"] + r["sys_s"]
    ms_per_node = cpu(TN) * 1000 / N
    # The 10-worker peer at N: measured when it ran at N, else scaled linearly from N10.
    if P10N:
        p10_at_n, p10_how = P10N["wall_s"], f"measured at N={N}"
    elif N10 == N:
        p10_at_n, p10_how = P10["wall_s"], f"measured at N={N}"
    else:
        p10_at_n = P10["wall_s"] * N / N10
        p10_how = f"extrapolated linearly from N10={N10} ({P10['wall_s']:.2f} s × {N}/{N10})"
    r_tn_t1 = TN["wall_s"] / T1["wall_s"]
    r_p10 = p10_at_n / TN["wall_s"]
    r_pn = PN["wall_s"] / TN["wall_s"] if PN else None
    mark = lambda b: "✓" if b else "✗"
    at500 = "" if N == 500 else f" (this run: N={N}, the target is stated at N=500)"

    L = []
    L.append(f"# cors-audit benchmark — {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%SZ')}\n")
    L.append(f"- Machine: {machine()}")
    L.append(f"- Fleet: `vos-sim fleet` on loopback in the same run, N = {N} CUIC/Live Data nodes "
             f"({served} served incl. `audit: false` Finesse nodes), CLI start-up {STARTUP:g} s, "
             f"{CMD_DELAY:g} s per command, drift on every {DRIFT_EVERY}th node ({len(planted['drift'])} lists)")
    L.append(f"- Per node, cors-audit: `set cli pagination off` + up to 12 read commands (status, list and both header "
             f"lists per CORS list, version, services, `show network cluster`, private network access on 12.6) ⇒ "
             f"physical floor ≈ {STARTUP:g} + 13 × {CMD_DELAY:g} = {STARTUP + 13 * CMD_DELAY:.1f} s for a co-resident "
             f"CUIC node; the peer sends the same commands")
    L.append(f"- Peer: bench/peer.py (paramiko {peer_version()}, invoke_shell, blocking recv to `admin:`), "
             f"host keys from the simulator's known_hosts with RejectPolicy")
    L.append(f"- Load average (1/5/15 min) before: {LOAD_BEFORE}, after: {loadavg()} "
             f"(other work on the machine shares its cores with the benchmark)")
    L.append(f"- Binaries: release build of {git_state()}")
    L.append(f"- Pinning: " + (f"vos-sim on core {SIM_CORES}, the client (cors-audit, the peer) on core(s) {CLIENT_CORES} (taskset)"
                               if PIN else "none (BENCH_PIN=0, one core, or no taskset): the simulator shares the client's cores"))
    L.append(f"- Whole benchmark (after the build): {total:.0f} s\n")
    L.append("| measurement | nodes | wall s | client CPU s | CPU ms/node | peak RSS MB | vos-sim CPU s |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")

    def row(label, r, n):
        L.append(f"| {label} | {n} | {r['wall_s']:.2f} | {cpu(r):.2f} | {cpu(r) * 1000 / n:.1f} | "
                 f"{r['max_rss_mb']:.1f} | {r['sim_cpu_s']:.2f} |")
    row("cors-audit T1", T1, 1)
    if T3 is not TN:
        row(f"cors-audit T{N3}", T3, N3)
    row(f"cors-audit TN", TN, N)
    row("peer, 10 workers", P1, 1)
    row("peer, 10 workers", P10, N10)
    if P3 is not P10 and P3 is not P10N:
        row("peer, 10 workers", P3, N3)
    if P10N:
        row("peer, 10 workers", P10N, N)
    if PN:
        row("peer, one worker per node", PN, N)
    L.append("")
    L.append("| ratio | value |")
    L.append("|---|---:|")
    L.append(f"| TN / T1 | {r_tn_t1:.2f} |")
    L.append(f"| peer10 / ours at N={N} | {r_p10:.1f}× ({p10_how}) |")
    if PN:
        L.append(f"| peerN / ours at N={N} | {r_pn:.2f}× |")
    L.append(f"| client CPU per node beyond the first, (CPU TN − CPU T1)/(N−1) | {(cpu(TN) - cpu(T1)) * 1000 / max(1, N - 1):.1f} ms |")
    L.append(f"| vos-sim CPU / wall during TN | {TN['sim_cpu_s'] / TN['wall_s']:.2f} cores of {os.cpu_count()} |")
    L.append("")
    L.append("## Targets\n")
    L.append("| target | result | |")
    L.append("|---|---|---|")
    L.append(f"| TN/T1 ≤ 1.3 at N=500{at500} | {r_tn_t1:.2f} | {mark(r_tn_t1 <= 1.3)} |")
    L.append(f"| ≥ 10× faster than the 10-worker peer at the same N | {r_p10:.1f}× ({'measured' if P10N or N10 == N else 'extrapolated'}) | {mark(r_p10 >= 10)} |")
    if PN:
        L.append(f"| no slower than the one-worker-per-node peer | ours {TN['wall_s']:.2f} s vs {PN['wall_s']:.2f} s | {mark(TN['wall_s'] <= PN['wall_s'])} |")
    else:
        L.append("| no slower than the one-worker-per-node peer | not run (BENCH_SKIP_PEER_N) | – |")
    L.append(f"| ≤ 5 ms client CPU per node | {ms_per_node:.1f} ms | {mark(ms_per_node <= 5)} |")
    L.append(f"| peak RSS ≤ 150 MB at N=500{at500} | {TN['max_rss_mb']:.1f} MB | {mark(TN['max_rss_mb'] <= 150)} |")
    L.append("")
    L.append("## Where the client's CPU goes (its own counters, `--cpu-report`)\n")
    L.extend(phase_table([("T1", T1, 1), ("TN", TN, N)]))
    L.append("")
    L.append("## One node vs N3 (on the vos-sim fleet, not the real-sshd fleet)\n")
    L.append(f"| {STARTUP:g} s CLI start-up | 1 node | {N3} nodes | ratio |")
    L.append("|---|---:|---:|---:|")
    L.append(f"| cors-audit | {T1['wall_s']:.2f} s | {T3['wall_s']:.2f} s | {T3['wall_s'] / T1['wall_s']:.2f} |")
    L.append(f"| paramiko, 10 threads | {P1['wall_s']:.2f} s | {P3['wall_s']:.2f} s | {P3['wall_s'] / P1['wall_s']:.2f} |")
    L.append("")
    L.append("## Findings versus planted.json\n")
    L.append(f"- N={N}: **{'PASS' if ok else 'FAIL'}** — {stats['planted_lists']} planted lists, "
             f"{stats['expected_node_findings']} node findings expected, {stats['node_findings']} found; "
             f"{stats['expected_cluster_findings']} asymmetric-list expected, {stats['cluster_findings']} cluster findings; "
             f"summary {stats['summary']}")
    for p in problems[:20]:
        L.append(f"  - {p}")
    L.append(f"- {N3}-node cut: **{'PASS' if ok3 else 'FAIL'}**")
    for p in problems3[:10]:
        L.append(f"  - {p}")
    L.append(f"- Peer cross-check (the peer read the same origins cors-audit parsed): "
             f"**{'PASS' if not peer_diffs else 'FAIL'}**" + (f" — differs on {peer_diffs[:5]}" if peer_diffs else ""))
    return "\n".join(L) + "\n"


def git_state():
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "Sources"], cwd=ROOT,
                               capture_output=True, text=True, timeout=30).stdout.strip()
        return f"{sha}" + (" with uncommitted changes in Sources/" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def peer_version():
    try:
        import paramiko
        return paramiko.__version__
    except ImportError:
        return "?"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as e:
        log(f"interrupted ({e})")
        sys.exit(130)
