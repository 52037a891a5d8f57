"""The scale benchmark rewrites its own figures in ``docs/performance.md``: one block per size.

The document keeps a marked region; inside it, one block per call count, each starting with
``<!-- calls=N -->``. A run replaces the blocks of the sizes it measured and keeps the others,
so the document always holds the latest figures of every size, never a log of runs.
"""

from __future__ import annotations

import re
from pathlib import Path

from response_atlas.config import PROJECT_ROOT

PERFORMANCE_DOC = PROJECT_ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:scale begin -->", "<!-- bench:scale end -->"
_REGION = re.compile(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), re.S)
_BLOCK = re.compile(r"<!-- calls=(\d+) -->\n(.*?)(?=<!-- calls=\d+ -->|\Z)", re.S)


def read_blocks(region: str) -> dict[int, str]:
    """Size -> block text (without its marker) of a region's contents."""
    return {int(calls): body.strip() + "\n" for calls, body in _BLOCK.findall(region)}


def render_region(blocks: dict[int, str]) -> str:
    """The region's contents: every block, smallest size first, a blank line between."""
    return "\n".join(f"<!-- calls={calls} -->\n{blocks[calls]}" for calls in sorted(blocks))


def rewrite_blocks(doc: Path, new_blocks: dict[int, str]) -> None:
    """Replace (or add) the blocks of ``new_blocks`` in ``doc``'s marked region.

    Raises ValueError when the document has no region: nothing is written then.
    """
    text = doc.read_text(encoding="utf-8")
    match = _REGION.search(text)
    if match is None:
        raise ValueError(f"{doc}: no '{BEGIN}' ... '{END}' region to rewrite")
    blocks = {**read_blocks(match.group(1)), **new_blocks}
    region = f"{BEGIN}\n{render_region(blocks)}{END}"
    doc.write_text(text[:match.start()] + region + text[match.end():], encoding="utf-8")
