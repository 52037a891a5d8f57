#!/usr/bin/env bash
# One command: install test dependencies and run every test (unit, AppTest, real browser).
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh -k map     # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -r requirements-dev.txt
# Map assets (Leaflet and plugins) are served by the app itself, from the npm registry.
bash scripts/vendor_assets.sh
# Browser tests drive Debian's Chromium; install it when missing and we may (root).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: run 'sudo apt-get install chromium' for the browser tests" >&2
  fi
fi
python3 -m ruff check .
python3 -m pytest -n 2 --dist loadgroup "$@"
