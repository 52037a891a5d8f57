"""``python -m response_atlas.bench {ingest} ...``."""

from __future__ import annotations

import sys

from response_atlas.bench.ingest import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv and argv[0] == "ingest":
        argv = argv[1:]
    elif argv and not argv[0].startswith("-"):
        print("usage: python -m response_atlas.bench ingest [--calls N] [--csv FILE]")
        sys.exit(2)
    sys.exit(main(argv))
