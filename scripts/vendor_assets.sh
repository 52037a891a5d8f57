#!/usr/bin/env bash
# Refresh the committed map assets in static/vendor/ from the npm packages package.json pins.
# Not needed to run the app (the files are in the repository); run it after changing a version in
# package.json, then commit static/vendor/ and update static/vendor/LICENSES.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: install Node.js to refresh static/vendor/ (the committed copies stay)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --silent
# explicit paths and PYTHONPATH: correct even when another checkout is pip-installed (-e)
PYTHONPATH=src python3 -m response_atlas.viz.assets --vendor --node-modules "$PWD/node_modules" --dest "$PWD/static/vendor"
