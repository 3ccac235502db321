#!/usr/bin/env bash
# Browser test of the web viewer: record two rollouts, serve them with `tasktokens view`, load the
# page in headless Chromium (Debian's), check it is not blank and the humanoid moves.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup_browser.sh
tmp=$(mktemp -d)
port=${VIEWER_PORT:-8765}
.venv/bin/tasktokens play-motion --clip humanoid3d_walk --seconds 2 --out "$tmp/walk.gif" --record "$tmp/walk.json"
.venv/bin/tasktokens play-motion --clip humanoid3d_run --seconds 2 --out "$tmp/run.gif" --record "$tmp/run.json"
.venv/bin/tasktokens view "$tmp/walk.json" "$tmp/run.json" --port "$port" --seconds 180 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do
  if .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/recordings.json', timeout=1)" 2>/dev/null; then break; fi
  sleep 0.2
done
.venv/bin/python tests/browser/check_viewer.py "http://127.0.0.1:$port/index.html" "$tmp" "$@"
