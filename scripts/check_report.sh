#!/usr/bin/env bash
# Render a report.html with headless Chromium (no network, no GPU) and save a
# screenshot to look at; also checks the page is self-contained.
#
#   scripts/check_report.sh out/prime_hfref/report.html [screenshot.png] [width,height]
#
# Needs the Debian package `chromium` (apt-get install -y chromium).
set -euo pipefail
report=${1:?usage: scripts/check_report.sh REPORT.html [SCREENSHOT.png] [WIDTH,HEIGHT]}
shot=${2:-${report%.html}.png}
size=${3:-1400,2000}
[ -f "$report" ] || { echo "no such file: $report" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "chromium not found: apt-get install -y chromium" >&2; exit 2; }

# self-contained: nothing fetched from elsewhere
if grep -Eq '(src|href)="(https?:)?//' "$report" || grep -Eq '<(script|link)[ >]' "$report"; then
  echo "$report is not self-contained:" >&2
  grep -Eno '(src|href)="(https?:)?//[^"]*"|<(script|link)[ >][^>]*' "$report" | head >&2
  exit 1
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
abs=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
mkdir -p "$(dirname "$shot")"
shot_abs=$(cd "$(dirname "$shot")" && pwd)/$(basename "$shot")
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
  --user-data-dir="$profile" --window-size="$size" --screenshot="$shot_abs" "file://$abs" \
  >"$profile/chromium.log" 2>&1 || { cat "$profile/chromium.log" >&2; exit 1; }
[ -s "$shot_abs" ] || { echo "no screenshot written" >&2; cat "$profile/chromium.log" >&2; exit 1; }
echo "rendered $report -> $shot ($size)"
