# Two commands matter: `make demo` (first run on a fresh machine) and `make test`.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the build and the tests need: libssh2 (the SSH client library), OpenSSH's sshd (the
# real server the SSH tests start on loopback) and its client tools (ssh-keygen).
APT_PACKAGES := libssh2-1-dev openssh-server openssh-client pkg-config libsqlite3-dev python3 python3-venv

.PHONY: deps build test demo clean commonmark

deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build

# A real CommonMark renderer for the Markdown tests (markdown-it-py, pinned, in a venv under .build; the
# tests create the same venv themselves when it is missing).
COMMONMARK_VENV := .build/commonmark-venv
commonmark: deps
	@[ -x $(COMMONMARK_VENV)/bin/python3 ] && $(COMMONMARK_VENV)/bin/python3 -c 'import markdown_it' 2>/dev/null || \
		{ python3 -m venv $(COMMONMARK_VENV) && $(COMMONMARK_VENV)/bin/pip install -q markdown-it-py==3.0.0; }

test: deps commonmark
	# Serial: several suites start servers and count the process's file descriptors, which parallel suites would disturb.
	$(SWIFT) test --no-parallel

demo: deps
	$(SWIFT) build --product cors-audit
	$(SWIFT) build --product vos-sim
	@echo '$$ cors-audit demo'
	@$(SWIFT) run --skip-build cors-audit demo; \
	code=$$?; echo "(exit $$code: 1 means drift was found, as planted in the simulated lab)"; [ $$code -le 2 ]

clean:
	rm -rf .build

# Headless Chromium and the probe's judge on the same simulated answers (every behaviour, cookies included and
# omitted); fails unless they agree on each and the probe's preflight is Chromium's. Installs Debian's chromium.
.PHONY: browser-check
browser-check: deps
	@dpkg-query -W -f='$${Status}\n' chromium 2>/dev/null | grep -q 'install ok installed' || { \
		echo "installing: chromium"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	$(SWIFT) build --product browser-check
	$(SWIFT) run --skip-build browser-check

# A benchmark, not a test (CI does not run it): release binaries, a venv with paramiko, a 500-node
# vos-sim fleet, cors-audit against it and against a paramiko script; the table lands in reports/bench/.
# BENCH_N=... changes the fleet size; bench/README.md lists the other knobs.
.PHONY: bench
bench: deps
	bash bench/run.sh
