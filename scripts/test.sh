#!/usr/bin/env bash
# One command: install what the tests need and run every test (unit, AppTest, real browser).
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh -k map     # extra arguments go to pytest
# Installs only what is missing, so a second run goes straight to the tests; in CI (CI=true)
# everything is installed from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
fresh="${CI:-false}"

# Python packages: pip only when a pinned requirement is not installed at its version.
missing="$(python3 scripts/requirements_missing.py requirements-dev.txt)"
if [ "$fresh" = "true" ] || [ -n "$missing" ]; then
  [ -n "$missing" ] && echo "installing: $(echo "$missing" | tr '\n' ' ')"
  python3 -m pip install -q -r requirements-dev.txt
fi

# axe-core for the accessibility checks (npm dev dependency). The map assets need no step:
# they are committed in static/vendor/. npm ci only when node_modules is not from this lock file.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.atlas-lock-sha256
if [ "$fresh" = "true" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --no-audit --no-fund --silent && echo "$lock_hash" > "$stamp"
  else
    echo "npm not found: the accessibility checks (axe-core) will be skipped" >&2
  fi
fi

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
