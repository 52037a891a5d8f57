#!/usr/bin/env bash
# Copy pinned map assets from node_modules (npm ci) into static/vendor/, served at /app/static/.
# The offline / air-gapped set-up step: after it the maps need no CDN. On an air-gapped machine,
# run it where the npm registry is reachable and copy static/vendor/ across.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f package-lock.json ]; then
  echo "package-lock.json missing" >&2; exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  if PYTHONPATH=src python3 -m response_atlas.viz.assets --check --dest "$PWD/static/vendor" >/dev/null 2>&1; then
    echo "npm not found; static/vendor/ is already complete"; exit 0
  fi
  echo "npm not found: maps will load Leaflet from public CDNs (install Node.js and rerun)" >&2
  exit 0
fi
npm ci --no-audit --no-fund --silent
# explicit paths and PYTHONPATH: correct even when another checkout is pip-installed (-e)
PYTHONPATH=src python3 -m response_atlas.viz.assets --vendor --node-modules "$PWD/node_modules" --dest "$PWD/static/vendor"
