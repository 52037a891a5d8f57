"""Every page on the real Cincinnati extracts (AppTest through app.py).

The data folder holds the biased police subset (arrests, citations and reports only: few behavioral
calls, priority nearly always 12, no ``sna_neighborhood``), the five-column Fire/EMS file, the CAGIS
neighborhoods (one invalid polygon as published) and their census facts. No zones, no team contacts:
the pages must say so instead of failing.
"""

from __future__ import annotations

import pytest

from response_atlas.pages_registry import PAGES, PUBLIC, STAFF, pages_for_role
from tests.apptest_helpers import run_page
from tests.conftest import build_real_data_dir


@pytest.fixture(scope="module")
def real_data_dir(tmp_path_factory):
    """A data folder built from the real files (copied to a temp folder, never into the project)."""
    return build_real_data_dir(tmp_path_factory.mktemp("real-data"))


def _texts(at) -> str:
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "metric"):
        for element in getattr(at, kind, []):
            parts.append(str(getattr(element, "value", "")) + " " + str(getattr(element, "label", "")))
    for frame in at.dataframe:
        parts.append(frame.value.to_string())
    return "\n".join(parts)


# The most frequent real block addresses after 23XX FERGUSON RD (which the About page quotes as
# an example of the masking): staff see them on the repeat-addresses page, the public never.
TOP_BLOCKS = ("3XX EZZARD CHARLES DR", "41XX READING RD", "32XX ERIE AV")


# The real snapshot spans 2026-04-15 .. 2026-07-23; ask for all of it so every page has calls.
QUERY = {"from": "2026-04-15", "to": "2026-07-23"}


@pytest.mark.parametrize("spec", PAGES, ids=[p.title for p in PAGES])
def test_every_page_renders_for_staff(real_data_dir, spec):
    at = run_page(spec.path, real_data_dir, role=STAFF, query=QUERY, timeout=120)
    assert not at.exception, f"{spec.title}: {[e.value for e in at.exception]}"
    assert any(spec.title.lower() in t.value.lower() for t in at.title), [t.value for t in at.title]
    assert not at.error, f"{spec.title}: {[e.value for e in at.error]}"


@pytest.mark.parametrize("spec", pages_for_role(PUBLIC), ids=[p.title for p in pages_for_role(PUBLIC)])
def test_public_pages_render_and_show_no_block_addresses(real_data_dir, spec):
    at = run_page(spec.path, real_data_dir, role=PUBLIC, query=QUERY, timeout=120)
    assert not at.exception, f"{spec.title}: {[e.value for e in at.exception]}"
    text = _texts(at)
    # real block-masked addresses from the police file never reach a public page
    for address in TOP_BLOCKS:
        assert address not in text


def test_staff_repeat_page_lists_the_busiest_real_blocks(real_data_dir):
    spec = next(p for p in PAGES if p.path.endswith("repeats.py"))
    at = run_page(spec.path, real_data_dir, role=STAFF, query=QUERY, timeout=120)
    text = _texts(at)
    assert all(address in text for address in TOP_BLOCKS[:2]), text[:2000]
