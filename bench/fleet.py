"""Shared by the bench scripts: a vos-sim fleet as a child process, and /proc readings."""
import os
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(tag, msg):
    print(f"[bench {tag} {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def count(pid, what):
    try:
        return len(os.listdir(f"/proc/{pid}/{what}"))
    except OSError:
        return None


def sample_while_running(run, deadline=None, name="run"):
    """Waits for `run` (/usr/bin/time -v and its child), sampling the child's descriptors and threads every 20 ms;
    past `deadline` (time.monotonic) it is killed. An exiting process lists nothing: such a sample is no count."""
    samples, child = [], None
    while run.poll() is None:
        if deadline is not None and time.monotonic() > deadline:
            run.kill()
            raise RuntimeError(f"{name} did not finish in time")
        if child is None:
            try:
                kids = open(f"/proc/{run.pid}/task/{run.pid}/children").read().split()
                child = int(kids[0]) if kids else None
            except OSError:
                pass
        if child:
            fd, task = count(child, "fd"), count(child, "task")
            if fd and task:
                samples.append((fd, task))
        time.sleep(0.02)
    return samples


def start(binary_dir, work, args, env, pid_file):
    """`vos-sim fleet ARGS --out WORK/fleet`; returns (process, fleet folder) once it says ready.

    The simulator exits by itself when its stdin closes (stop()), so a killed bench leaves nothing behind."""
    fleet = os.path.join(work, "fleet")
    sim = subprocess.Popen([os.path.join(binary_dir, "vos-sim"), "fleet"] + args + ["--out", fleet, "--exit-on-stdin-eof"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=open(os.path.join(work, "vos-sim.stderr"), "w"), env=env, text=True)
    with open(pid_file, "w") as f:
        f.write(str(sim.pid))
    deadline = time.time() + 300
    line = ""
    while time.time() < deadline:
        line = sim.stdout.readline()
        if not line or line.startswith("ready"):
            break
    else:
        stop(sim)
        raise SystemExit("vos-sim not ready within 300 s")
    if not line:
        raise SystemExit("vos-sim exited before ready (see vos-sim.stderr)")
    return sim, fleet, line.strip()


def stop(sim):
    sim.stdin.close()
    try:
        sim.wait(timeout=30)
    except subprocess.TimeoutExpired:
        sim.kill()
