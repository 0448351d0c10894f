/// The VOS CLI emulator that every test sshd runs as its `ForceCommand`.
///
/// It is Python (standard library only) rather than Swift so that the server side shares no code
/// with the client under test, and so it runs on the PTY sshd allocates exactly like a real node's
/// CLI: echo, `\r\n` line endings and cooked-mode line editing are the terminal driver's job, not
/// the script's. Output formats follow the public captures in Tests/Fixtures/field; the `status`
/// texts are placeholders (no public capture exists), marked as such below.
enum VOSEmulatorScript {
    static let source = #"""
#!/usr/bin/python3
# VOS CLI emulator for cors-audit's SSH tests. Runs on the PTY of an sshd ForceCommand.
import argparse, os, sys, time, termios, tty

p = argparse.ArgumentParser()
p.add_argument("--startup-delay", type=float, default=0.0)
p.add_argument("--never-prompt", action="store_true")
p.add_argument("--drop-after-bytes", type=int, default=-1)
p.add_argument("--pager", action="store_true")
p.add_argument("--page-lines", type=int, default=20)
p.add_argument("--fail-command", action="append", default=[])
p.add_argument("--version", default="12.6.2.10000-19")
p.add_argument("--cuic-origins", default="https://finessep.uccelab.tac,https://finesses.uccelab.tac,https://finesses.uccelab.tac:8445")
p.add_argument("--livedata-origins", default="https://finessep.uccelab.tac,https://finessep.uccelab.tac:8445")
p.add_argument("--finesse-origins", default="")
p.add_argument("--cors-status", default="enabled")
p.add_argument("--command-delay", type=float, default=0.0)
# `show network cluster`: the members' host names, the publisher first (default: a one-node cluster).
p.add_argument("--cluster-members", default="vos.test")
args = p.parse_args()

written = 0

def out(text):
    """Writes to the PTY, counting bytes so --drop-after-bytes can cut the session mid-output."""
    global written
    data = text.encode() if isinstance(text, str) else text
    if args.drop_after_bytes >= 0 and written + len(data) >= args.drop_after_bytes:
        keep = max(0, args.drop_after_bytes - written)
        os.write(1, data[:keep])
        os._exit(0)
    written += len(data)
    while data:
        n = os.write(1, data)
        data = data[n:]

pending = b""

def read_line():
    """One line from the tty in cooked mode (the tty echoes it); None at end of input."""
    global pending
    while b"\n" not in pending and b"\r" not in pending:
        chunk = os.read(0, 4096)
        if not chunk:
            return None
        pending += chunk
    for i, c in enumerate(pending):
        if c in (10, 13):
            line, pending = pending[:i], pending[i + 1:]
            return line.decode(errors="replace")

def read_key():
    """One key without waiting for Enter and without echo, as a pager does."""
    global pending
    if pending:
        c, pending = pending[:1], pending[1:]
        return c
    fd = 0
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        return os.read(fd, 1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)

PAGER = "\x1b[1mPress <enter> for 1 line, <space> for one page, or <q> to quit\x1b[0m"

def show(lines):
    """Prints command output; with --pager, pauses every page like VOS does with pagination on."""
    if not args.pager:
        for line in lines:
            out(line + "\n")
        return
    budget = args.page_lines
    for line in lines:
        if budget == 0:
            out(PAGER)
            key = read_key()
            out("\r\x1b[K")
            if key in (b"q", b"Q", b""):
                return
            budget = 1 if key in (b"\r", b"\n") else args.page_lines
        out(line + "\n")
        budget -= 1

def numbered(origins, sep):
    items = [o for o in origins.split(",") if o]
    return ["%d%s %s " % (i + 1, sep, o) for i, o in enumerate(items)]

SERVICES = ["Requesting service status, please wait...", "System SSH [STARTED]", "Cisco DB[STARTED]",
            "Cisco Tomcat[STARTED]", "Cisco Trace Collection Service[STARTED]",
            "Cisco Certificate Expiry Monitor[STARTED]", "Cisco Log Partition Monitoring Tool[STARTED]",
            "Cisco RIS Data Collector[STARTED]", "Cisco AMC Service[STARTED]",
            "Cisco Audit Event Service[STARTED]", "Cisco CDP[STARTED]", "Cisco CDP Agent[STARTED]",
            "Cisco DRF Local[STARTED]", "Cisco DRF Master[STARTED]", "Cisco Database Layer Monitor[STARTED]",
            "Cisco Syslog Agent[STARTED]", "Cisco Tomcat Stats Servlet[STARTED]",
            "Cisco Serviceability Reporter[STARTED]", "Host Resources Agent[STARTED]",
            "MIB2 Agent[STARTED]", "Platform Administrative Web Service[STARTED]",
            "SNMP Master Agent[STARTED]", "System NTP[STARTED]",
            "Intelligence Center Reporting Service[STARTED]",
            "Intelligence Center Serviceability Service[STARTED]",
            "Intelligence Center Perfmon Service[STARTED]",
            "Unified CCE Live Data NGINX Service[STARTED]", "CCE Live Data Socket.IO Service[STARTED]",
            "CCE Live Data Storm DRPC Service[STARTED]", "CCE Live Data Storm Nimbus Service[STARTED]",
            "CCE Live Data Storm Supervisor Service[STARTED]", "CCE Live Data Zookeeper Service[STARTED]",
            "CCE Live Data Web Service[STARTED]", "CCE Live Data Kafka Service[STARTED]",
            "Cisco HCS Admin UI[ STOPPED ] Component is not running",
            "Name Service Cache [STOPPED] Service Not Activated",
            "Primary Node =true", "Service Manager is running", "Commanded Out of Service Services:", "None"]

def answer(cmd):
    words = cmd.split()
    key = " ".join(words)
    if key in args.fail_command:
        return ["Executed command unsuccessfully"]
    if key == "set cli pagination off":
        return ["Automatic pagination is turned off"]
    if key == "show version active":
        return ["Active Master Version: " + args.version, "Active Version Installed Software Options:",
                "No Installed Software Options Found."]
    if key == "utils service list":
        return SERVICES
    if key == "show network cluster":
        # The line shape of Cisco's CUCM/IM&P samples; the application word is a placeholder.
        members = [m for m in args.cluster_members.split(",") if m]
        return ["127.0.0.1 %s %s %s cuic DBPub authenticated" % (m, m.split(".")[0], "Publisher" if i == 0 else "Subscriber")
                for i, m in enumerate(members)] + ["", "Server Table (processnode) Entries"] + members
    for product, origins in (("cuic", args.cuic_origins), ("live-data", args.livedata_origins)):
        if key == "utils %s cors status" % product:
            # Placeholder text: no public capture of this output exists.
            return ["CORS status: " + args.cors_status]
        if key == "utils %s cors allowed_origin list" % product:
            return ["", "cors_allowedorigins ", "=========================== "] + numbered(origins, ".") + [" "]
    for product in ("cuic", "live-data"):
        for kind, title in (("allowed_headers", "cors_allowedheaders"), ("exposed_headers", "cors_exposedheaders")):
            if key == "utils %s cors %s list" % (product, kind):
                return ["", title + " ", "=========================== ", " "]
    if key in ("utils finesse cors allowed_headers list", "utils finesse cors exposed_headers list"):
        return ["Currently no headers are configured in %s headers." % words[3].split("_")[0]]
    if key == "utils finesse gadget_source_check status":
        return ["Gadget source allowed list status: disabled"]
    if key == "utils finesse gadget_source_check allowed_list list":
        return ["No sources are configured in the allowed list."]
    if key == "utils cuic cors private-network-access status" and not args.version.startswith("12.5"):
        return ["Private network access is disabled"]
    if key == "utils finesse cors status":
        return [args.cors_status]
    if key == "utils finesse cors allowed_origin list":
        items = numbered(args.finesse_origins, ":")
        if not items:
            return ["Currently no origins are configured in allowed origins."]
        return ["The following origin(s) are configured in the allowed origin list:"] + items
    return ["Executed command unsuccessfully"]

out("Command Line Interface is starting up, please wait ...\n")
if args.never_prompt:
    while read_line() is not None:
        pass
    time.sleep(3600)
    sys.exit(0)
time.sleep(args.startup_delay)
out("\nWelcome to the Platform Command Line Interface\n\n"
    "VMware Installation:\n\t2 vCPU: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\n"
    "\tDisk 1: 146GB, Partitions aligned\n\t10240 Mbytes RAM\n\n")
while True:
    out("\x1b[Kadmin:")
    line = read_line()
    if line is None:
        sys.exit(0)
    cmd = line.strip()
    if not cmd:
        continue
    if cmd == "exit" or cmd == "quit":
        sys.exit(0)
    if args.command_delay > 0:
        time.sleep(args.command_delay)
    show(answer(cmd))
    out("\n")
"""#
}
