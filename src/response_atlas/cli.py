"""Command line: ``python -m response_atlas {refresh,snapshots,demo,facts,briefing} ...`` (also the
``response-atlas`` script)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a sub-command; each sub-command owns its own argument parser."""
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "refresh": "response_atlas.ingest.refresh",
        "snapshots": "response_atlas.ingest.rollback",
        "demo": "response_atlas.demo.generate",
        "facts": "response_atlas.ingest.census",
        "briefing": "response_atlas.reports.briefing_cli",  # the monthly meeting PDF
    }
    if not argv or argv[0] not in commands:
        print(f"usage: python -m response_atlas {{{','.join(commands)}}} [options]  (-h for help)")
        return 2
    import importlib

    module = importlib.import_module(commands[argv[0]])
    return int(module.main(argv[1:]) or 0)
