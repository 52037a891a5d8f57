"""``python -m response_atlas.bench {ingest,scale,load,forecast} ...``."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "ingest": "response_atlas.bench.ingest",  # refresh vs DuckDB read_csv
    "scale": "response_atlas.bench.pages",  # refresh and every page at 100k / 1M / 5M calls
    "load": "response_atlas.bench.load",  # 20 browser sessions against `streamlit run`
    "forecast": "response_atlas.bench.forecast",  # the demand forecast at growing sizes
}
USAGE = "usage: python -m response_atlas.bench {ingest,scale,load,forecast} [options]  (-h for help)"


def main(argv: list[str]) -> int:
    """Dispatch to a benchmark; ``ingest`` stays the default when no command is given."""
    if argv and argv[0] in COMMANDS:
        command, argv = argv[0], argv[1:]
    elif not argv or argv[0].startswith("-"):
        command = "ingest"
    else:
        print(USAGE)
        return 2
    return int(importlib.import_module(COMMANDS[command]).main(argv) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
