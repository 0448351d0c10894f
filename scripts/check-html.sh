#!/usr/bin/env bash
# Renders an HTML report in headless Chromium (Debian's package) to a PNG, to look at it as a reader would.
# Usage: scripts/check-html.sh [report.html] [out.png]   (default: the demo's report)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
  [ "$(id -u)" = 0 ] || SUDO=sudo
  ${SUDO:-} apt-get install -y -qq chromium >/dev/null
fi
html=${1:-}
if [ -z "$html" ]; then
  swift build --product cors-audit >/dev/null && swift build --product vos-sim >/dev/null
  out=$(mktemp -d)
  .build/debug/cors-audit demo --output "$out" --format html >/dev/null || true
  html="$out/report.html"
fi
png=${2:-reports/report-screenshot.png}
mkdir -p "$(dirname "$png")"
# --no-sandbox: root in a container has no user namespaces for Chromium's sandbox.
timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1800 \
  --screenshot="$png" "file://$(realpath "$html")" 2>/dev/null
echo "$png"
