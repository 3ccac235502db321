#!/usr/bin/env bash
# Headless Chromium (Debian's package) and Playwright (PyPI, driving that Chromium; its own
# browser download is never used) for the viewer's browser test. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi
if ! .venv/bin/python -c "import playwright" 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt playwright
fi
