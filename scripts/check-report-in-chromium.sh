#!/usr/bin/env bash
# Opens a gwcost HTML report in headless Chromium (Debian's `chromium`) and fails unless:
#   - the file is self-contained: no <script>, no <link>, no src=/href= to anything, no url();
#   - Chromium loads it without a single console message (errors or otherwise);
#   - the rendered DOM holds the four chart SVGs with drawn shapes and text;
# then keeps a screenshot of the page.
#
# Usage: scripts/check-report-in-chromium.sh [REPORT.html] [SCREENSHOT.png]
#   defaults: reports/sample.html reports/sample-screenshot.png
# Before checking the report it checks itself: a page that logs a console error must be caught.
set -euo pipefail
cd "$(dirname "$0")/.."

report="${1:-reports/sample.html}"
shot="${2:-reports/sample-screenshot.png}"

chromium_bin="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$chromium_bin" ]; then
  echo "check-report: chromium not found (apt-get install -y chromium)" >&2
  exit 2
fi
[ -f "$report" ] || { echo "check-report: no such report: $report" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Flags from field-notes.md: headless as root, nothing reaching for the network.
run_chromium() { # run_chromium PROFILE_NAME ARGS...
  local profile="$work/profile-$1"; shift
  timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@"
}

# Console messages reach stderr as `[pid:tid:time:INFO:CONSOLE:LINE] "message", source: URL (LINE)`
# (older builds: `CONSOLE(LINE)`).
console_lines() { grep -E ':CONSOLE[:(]' "$1" || true; }

# 1. Self-test: the console check must catch an error on a page that logs one.
cat > "$work/bad.html" <<'HTML'
<!DOCTYPE html><html><body><p>bad</p><script>console.error("gwcost-selftest-error");</script></body></html>
HTML
run_chromium selftest --dump-dom "file://$work/bad.html" >"$work/bad.dom" 2>"$work/bad.log" || true
if ! console_lines "$work/bad.log" | grep -q 'gwcost-selftest-error'; then
  echo "check-report: self-test failed: a console error on a test page was not seen in Chromium's log" >&2
  sed -n '1,40p' "$work/bad.log" >&2
  exit 1
fi

# 2. Self-contained: nothing to fetch, nothing to run.
abs="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
if grep -nE '<script|<link|<iframe|<img|src=|href=|url\(|@import' "$report"; then
  echo "check-report: $report is not self-contained (see the lines above)" >&2
  exit 1
fi

# 3. Load it: no console output at all, and the DOM Chromium built holds the charts.
run_chromium dom --dump-dom "file://$abs" >"$work/dom.html" 2>"$work/dom.log"
bad="$(console_lines "$work/dom.log")"
if [ -n "$bad" ]; then
  echo "check-report: console messages while loading $report:" >&2
  echo "$bad" >&2
  exit 1
fi
svgs="$(grep -o '<svg' "$work/dom.html" | wc -l)"
figures="$(grep -o '<figure' "$work/dom.html" | wc -l)"
shapes="$(grep -oE '<(rect|polyline|path|line)' "$work/dom.html" | wc -l)"
texts="$(grep -o '<text' "$work/dom.html" | wc -l)"
if [ "$svgs" -lt 4 ] || [ "$figures" -lt 4 ] || [ "$shapes" -lt 20 ] || [ "$texts" -lt 20 ]; then
  echo "check-report: rendered DOM lacks charts: $svgs svg, $figures figures, $shapes shapes, $texts texts" >&2
  exit 1
fi

# 4. A picture of the page, kept beside the report.
mkdir -p "$(dirname "$shot")"
run_chromium shot --hide-scrollbars --window-size=1280,4200 --screenshot="$work/shot.png" "file://$abs" \
  >/dev/null 2>"$work/shot.log"
bad="$(console_lines "$work/shot.log")"
if [ -n "$bad" ]; then
  echo "check-report: console messages while taking the screenshot:" >&2
  echo "$bad" >&2
  exit 1
fi
[ -s "$work/shot.png" ] || { echo "check-report: Chromium wrote no screenshot" >&2; exit 1; }
cp "$work/shot.png" "$shot"
echo "check-report: $report OK ($svgs charts, $shapes shapes, $texts labels, no console messages); screenshot $shot"
