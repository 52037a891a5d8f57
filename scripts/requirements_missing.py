"""Print each requirement of a pip requirements file that this Python does not satisfy.

``python3 scripts/requirements_missing.py requirements-dev.txt`` prints nothing when every pinned
package (``name==version``, following ``-r`` includes) is installed at that version and the
project itself (``-e .``) is installed; ``scripts/test.sh`` then skips ``pip install``. It reads
the installed distributions' metadata only: no network, no resolver, well under a second.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

PROJECT_DIST = "response-atlas"


def requirement_lines(path: Path) -> list[str]:
    """The requirement lines of ``path`` and of the files it includes with ``-r``."""
    lines: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            lines.extend(requirement_lines(path.parent / line.split(maxsplit=1)[1]))
        else:
            lines.append(line)
    return lines


def installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def unmet(line: str) -> bool:
    """True when ``line`` (``name==version`` or ``-e .``) is not installed as asked."""
    if line.startswith(("-e", "--editable")):
        return installed_version(PROJECT_DIST) is None
    match = re.fullmatch(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)", line)
    if not match:  # a range or a URL: let pip decide
        return True
    return installed_version(match.group(1)) != match.group(2)


def main(argv: list[str]) -> int:
    for line in requirement_lines(Path(argv[1] if len(argv) > 1 else "requirements-dev.txt")):
        if unmet(line):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
