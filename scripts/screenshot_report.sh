#!/usr/bin/env bash
# Render a `recode report` page in headless Chromium and save a PNG, to look at it as a user would.
#   scripts/screenshot_report.sh runs/demo/report/report.html [out.png]
# Needs Debian's chromium (apt-get install -y chromium). Flags keep it offline and quiet.
set -euo pipefail
page=$(realpath "$1")
out=${2:-${page%.html}.png}
command -v chromium >/dev/null || { echo "screenshot_report: needs chromium (apt-get install -y chromium)" >&2; exit 2; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile" \
  --window-size=1200,2600 --screenshot="$out" "file://$page" >/dev/null 2>&1
echo "$out"
