#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into a directory (default Fuzz/Seeds, not committed);
scripts/fuzz.sh merges them into Fuzz/Corpus/<target>. Seeds: the field captures, the parser golden
inputs, the inventories and transcripts, and scripted node sessions for the conversations."""
import glob, hashlib, json, os, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Fuzz", "Seeds")
TEXT = ["splitter", "origin-list-numbered", "origin-list-finesse", "cors-status", "version", "service-list", "failure-marker"]

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)

def files(*patterns):
    for p in patterns:
        for path in sorted(glob.glob(os.path.join(root, p), recursive=True)):
            yield path

def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k == "input":
                yield from strings(v)
            elif isinstance(v, (list, dict)):
                yield from strings(v)

text_inputs = []
for path in files("Tests/CLIParsersTests/Golden/*.txt", "Tests/CLIParsersTests/Golden/*.bin",
                  "inventory/transcripts/**/*.txt", "Tests/AuditCoreTests/Golden/*.txt"):
    text_inputs.append(open(path, "rb").read())
for path in files("Tests/Fixtures/field/*.txt"):
    text_inputs.append(open(path, "rb").read())
for path in files("Tests/CLIParsersTests/Golden/*.json"):
    data = json.load(open(path))
    if isinstance(data, list):
        text_inputs += [s.encode() for s in strings(data)]
for target in TEXT:
    for data in text_inputs:
        put(target, data)

import re, textwrap
for path in files("inventory/*.yaml", "Tests/**/*.yaml"):
    put("inventory", open(path, "rb").read())
# The inventories written inline in the loader's tests (multi-line string literals).
for path in files("Tests/AuditCoreTests/InventoryLoaderTests.swift", "Tests/AuditCoreTests/Support.swift"):
    for block in re.findall(r'"""\n(.*?)\n\s*"""', open(path).read(), re.S):
        if "\\(" not in block:
            put("inventory", textwrap.dedent(block))

# Conversations: 3 header bytes (flags, output cap, pager cap), then blocks separated by 0xFF, each
# split at 0xFE in the chunked run.
SEP, SPLIT = b"\xff", b"\xfe"
def session(flags, blocks, cap=0, pager=0):
    return bytes([flags, cap, pager]) + SEP.join(blocks)

banner = b"Command Line Interface is starting up, please wait ...\r\n\r\n   Welcome to the Platform Command Line Interface\r\n\r\n\x1b[Kadmin:"
setup = b"set cli pagination off\r\nAutomatic Pagination : Off\r\n\r\nadmin:"
listing = b"utils cuic cors allowed_origin list\r\n\x1b[1mcors_allowedorigins\x1b[0m\r\n1. https://finessep.uccelab.tac\r\n2. https://finesses.uccelab.tac:8445\r\n\r\nadmin:"
status = b"utils cuic cors status\r\nCORS status: enabled\r\n\r\nadmin:"
version = b"show version active\r\nActive Master Version: 12.6.2.10000-19\r\nActive Version Installed Software Options:\r\nNo Installed Software Options Found.\r\n\r\nadmin:"
pager1 = b"utils cuic cors allowed_origin list\r\n" + b"".join(b"%d. https://host%d.example.com\r\n" % (i, i) for i in range(1, 4)) + b"\x1b[7m Press <enter> for 1 line, <space> for one page, or <q> to quit \x1b[0m"
pager2 = b"\r                                                                       \r" + b"4. https://host4.example.com\r\n\r\nadmin:"
question = b"utils cuic cors status\r\nThis will restart the service. Continue (y/n)?"
refused = b"n\r\n\r\nadmin:"
enter = b"utils cuic cors status\r\nPress ENTER to continue..."
put("vos-conversation", session(0x07, [banner, setup, listing, status, version]))
put("vos-conversation", session(0x07, [banner[:40] + SPLIT + banner[40:], setup, listing[:20] + SPLIT + listing[20:60] + SPLIT + listing[60:], status, version], cap=64))
put("vos-conversation", session(0x05, [banner, setup, pager1, pager2], pager=3))
put("vos-conversation", session(0x06, [banner, question, refused, version]))
put("vos-conversation", session(0x1A, [banner, enter, b"\r\nadmin:", listing[:50]]))
put("vos-conversation", session(0x25, [banner, setup, listing[:80]]))
raw = open(os.path.join(root, "Tests/CLIParsersTests/Golden/session-raw.bin"), "rb").read()
put("vos-conversation", bytes([0x07, 0, 0]) + raw.replace(b"admin:", b"admin:" + SEP))

add = b"utils cuic cors allowed_origin add https://new.example.com:8445\r\nSuccessfully added https://new.example.com:8445\r\n\r\nadmin:"
delete = b"utils cuic cors allowed_origin delete\r\n1: https://a.example.com\r\n2: https://old.example.com\r\na: all\r\nq: quit\r\n\r\nSelect the index of origin to be deleted [1-2 or a,q]:"
deleted = b"2\r\nSuccessfully deleted https://old.example.com\r\n\r\nadmin:"
put("apply-conversation", session(0x13, [banner, setup, add, delete, deleted, add]))
put("apply-conversation", session(0x12, [banner, setup, delete[:30] + SPLIT + delete[30:], deleted]))
put("apply-conversation", session(0x02, [banner, setup, delete, b"q\r\nadmin:"]))
put("apply-conversation", session(0x01, [banner, setup, b"utils cuic cors allowed_origin add https://new.example.com:8445\r\nExecuted command unsuccessfully\r\nadmin:"]))
put("apply-conversation", session(0x05, [banner, b"set cli pagination off\r\nContinue (y/n)?", b"n\r\nadmin:"]))
put("apply-conversation", session(0x03, [banner, setup, pager1, pager2]))
# The guides' menus: CUIC/Live Data `N. origin` and no colon after the range; Finesse "origin(s)"; prompts cut short.
dot_delete = delete.replace(b"1: ", b"1. ").replace(b"2: ", b"2. ")[:-1]
finesse_delete = delete.replace(b"of origin to", b"of origin(s) to")[:-1] + b" "
put("apply-conversation", session(0x12, [banner, setup, dot_delete, deleted]))
put("apply-conversation", session(0x12, [banner, setup, dot_delete[:-1] + SPLIT + dot_delete[-1:], deleted]))
put("apply-conversation", session(0x12, [banner, setup, finesse_delete[:-20] + SPLIT + finesse_delete[-20:], deleted]))
put("apply-conversation", session(0x12, [banner, setup, delete[:-1] + SPLIT + delete[-1:], deleted]))
put("apply-conversation", session(0x02, [banner, setup, dot_delete, b"q\r\nadmin:"]))
print("seeds in", out)
