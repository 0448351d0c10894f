#!/usr/bin/env python3
"""Reads Markdown on stdin, renders it with markdown-it-py's CommonMark preset, and prints as JSON what a
test needs to judge it: the text of every inline code span and code block, and every token that is raw
HTML or a link (none should come from text a node or a file wrote).

Used by Tests/ReportsTests (MarkdownCommonMarkTests); `make commonmark` installs markdown-it-py."""
import json
import sys

from markdown_it import MarkdownIt


def walk(tokens, out):
    for t in tokens:
        if t.type == "code_inline":
            out["code_inline"].append(t.content)
        elif t.type in ("fence", "code_block"):
            out["code_block"].append(t.content)
        elif t.type in ("html_inline", "html_block"):
            out["html"].append(t.content)
        elif t.type == "link_open":
            out["links"].append(t.attrs.get("href", ""))
        elif t.type == "image":
            out["links"].append(t.attrs.get("src", ""))
        if t.children:
            walk(t.children, out)


def main():
    text = sys.stdin.read()
    md = MarkdownIt("commonmark")
    out = {"code_inline": [], "code_block": [], "html": [], "links": [], "rendered": md.render(text)}
    walk(md.parse(text), out)
    json.dump(out, sys.stdout)


main()
