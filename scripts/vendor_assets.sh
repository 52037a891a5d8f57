#!/usr/bin/env bash
# Copy pinned map assets from node_modules (npm ci) into static/vendor/, served at /app/static/.
# The offline / air-gapped set-up step: after it the maps need no CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f package-lock.json ]; then
  echo "package-lock.json missing" >&2; exit 1
fi
npm ci --no-audit --no-fund --silent
python3 -m response_atlas.viz.assets --vendor
