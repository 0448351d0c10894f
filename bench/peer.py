#!/usr/bin/env python3
"""The peer: how an engineer scripts the VOS CLI today, written for the benchmark.

paramiko, one SSH connection and one interactive shell (`invoke_shell`) per node, wait for
`admin:`, `set cli pagination off`, then the same read commands cors-audit runs (per node: status,
list and both header lists for each CORS list it holds, the gadget source check on Finesse, `show version
active`, `utils service list`, `show network cluster`, then private network access on a CUIC node whose
version is 12.6 or later), each read to the next prompt, then `exit`. Nodes run on a ThreadPoolExecutor with --workers threads.

Host keys: the known_hosts the simulator wrote is loaded and unknown keys are rejected
(RejectPolicy), looked up by the inventory host name while the socket goes to its address, as
cors-audit does (paramiko checks `[host]:port` for a non-22 port).

Reading is the efficient variant of the usual loop: a blocking `recv` with a timeout (no
`time.sleep` polling), so the peer is not handicapped by a sleep quantum.

Output: one JSON object on stdout (timings, failures, and per node the origins of each list as
the script read them, for the benchmark's cross-check). The password comes from --password-env.
"""
import argparse
import json
import os
import re
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import paramiko
import yaml

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
PROMPT = re.compile(r"admin(\[\d+\])?:\s*$")
ORIGIN = re.compile(r"https?://\S+")


def nodes_from_inventory(path):
    """(host, address, port, username, lists) for every node with audit on, in inventory order."""
    with open(path) as f:
        inv = yaml.safe_load(f)
    defaults = inv.get("defaults") or {}
    out = []
    for cluster in inv["clusters"]:
        for key in ("finesse", "cuic", "live_data"):
            for node in cluster.get(key) or []:
                if node.get("audit", True) is False:
                    continue
                if key == "cuic":
                    lists = ["cuic"] + (["live-data"] if node.get("live_data") == "coresident" else [])
                elif key == "live_data":
                    lists = ["live-data"]
                else:
                    lists = ["finesse"]
                out.append({
                    "host": node["host"],
                    "address": node.get("address", node["host"]),
                    "port": int(node.get("port", defaults.get("port", 22))),
                    "username": node.get("username", defaults.get("username", "admin")),
                    "known_hosts": node.get("known_hosts", defaults.get("known_hosts")),
                    "lists": lists,
                })
    return out


def commands_for(lists):
    cmds = []
    for name in lists:
        cmds += [f"utils {name} cors status", f"utils {name} cors allowed_origin list",
                 f"utils {name} cors allowed_headers list", f"utils {name} cors exposed_headers list"]
    if "finesse" in lists:
        cmds += ["utils finesse gadget_source_check status", "utils finesse gadget_source_check allowed_list list"]
    return cmds + ["show version active", "utils service list", "show network cluster"]


VERSION = re.compile(r"Active Master Version:\s*(\d+)\.(\d+)")


def release_commands(lists, version_output):
    """What cors-audit sends once the version is read: private network access on CUIC 12.6 and later."""
    m = VERSION.search(version_output or "")
    if "cuic" in lists and m and (int(m.group(1)), int(m.group(2))) >= (12, 6):
        return ["utils cuic cors private-network-access status"]
    return []


def read_to_prompt(chan, deadline):
    buf = ""
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError("no admin: prompt; last bytes: " + repr(buf[-200:]))
        chan.settimeout(max(0.1, deadline - time.monotonic()))
        data = chan.recv(65535)
        if not data:
            raise EOFError("connection closed; last bytes: " + repr(buf[-200:]))
        buf += data.decode("utf-8", "replace")
        if PROMPT.search(ANSI.sub("", buf)):
            return ANSI.sub("", buf)


def audit_node(node, password, login_timeout=90, command_timeout=60):
    client = paramiko.SSHClient()
    client.load_host_keys(node["known_hosts"])
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    sock = socket.create_connection((node["address"], node["port"]), timeout=10)
    try:
        client.connect(node["host"], port=node["port"], username=node["username"], password=password,
                       sock=sock, timeout=10, banner_timeout=10, auth_timeout=30,
                       look_for_keys=False, allow_agent=False)
        chan = client.invoke_shell(width=200, height=50)
        read_to_prompt(chan, time.monotonic() + login_timeout)
        chan.send("set cli pagination off\n")
        read_to_prompt(chan, time.monotonic() + command_timeout)
        outputs = {}
        for cmd in commands_for(node["lists"]):
            chan.send(cmd + "\n")
            outputs[cmd] = read_to_prompt(chan, time.monotonic() + command_timeout)
        for cmd in release_commands(node["lists"], outputs.get("show version active")):
            chan.send(cmd + "\n")
            outputs[cmd] = read_to_prompt(chan, time.monotonic() + command_timeout)
        chan.send("exit\n")
        origins = {}
        for name in node["lists"]:
            text = outputs[f"utils {name} cors allowed_origin list"]
            origins[name] = ORIGIN.findall(text)
        return origins
    finally:
        client.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inventory", required=True)
    ap.add_argument("--workers", type=int, default=10, help="threads; 0 = one per node")
    ap.add_argument("--limit", type=int, default=0, help="only the first N nodes (0: all)")
    ap.add_argument("--password-env", default="VOS_SIM_PASSWORD")
    args = ap.parse_args()

    password = os.environ[args.password_env]
    nodes = nodes_from_inventory(args.inventory)
    if args.limit:
        nodes = nodes[:args.limit]
    workers = args.workers or len(nodes)
    start = time.monotonic()
    results, failures = {}, {}

    def one(node):
        try:
            results[node["host"]] = audit_node(node, password)
        except Exception as e:  # a failed node is reported, never retried
            failures[node["host"]] = f"{type(e).__name__}: {e}"

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, nodes))
    wall = time.monotonic() - start
    cpu = os.times()
    json.dump({"nodes": len(nodes), "workers": workers, "ok": len(results), "failures": failures,
               "wall_s": wall, "cpu_s": cpu.user + cpu.system, "origins": results}, sys.stdout)
    print()
    return 0 if not failures else 2


if __name__ == "__main__":
    sys.exit(main())
