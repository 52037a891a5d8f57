"""The scale benchmark's own logic: runs in turn, and the verdicts against the issue's targets."""

from __future__ import annotations

import pytest

from response_atlas.bench import doc as bench_doc
from response_atlas.bench import pages as bench


def test_best_of_each_takes_turns_and_keeps_the_fastest(monkeypatch):
    order, seconds = [], {"read_csv": iter([3.5, 3.0]), "refresh": iter([9.0, 9.9])}

    def fake_child(mode, *args, data_dir=None):
        order.append(mode)
        return {"seconds": next(seconds[mode]), "cpu": 1.0, "rss_mb": 100.0 + len(order)}

    monkeypatch.setattr(bench, "run_child", fake_child)
    best = bench.best_of_each(("read_csv", "refresh"), 2, "/data")
    assert order == ["read_csv", "refresh", "read_csv", "refresh"]
    assert best["read_csv"]["seconds"] == 3.0 and best["read_csv"]["all_seconds"] == [3.5, 3.0]
    assert best["refresh"]["seconds"] == 9.0
    assert best["refresh"]["rss_mb"] == 104.0  # the highest peak of its runs


def _size(calls, change_s, map_bytes, refresh_s):
    page = {"page": "Calls map", "change_s": change_s, "map_bytes": map_bytes}
    return {"calls": calls, "pandas": {"seconds": 5.0},
            "server": {"pages": [page], "rss_mb": 900.0},
            "floor": {"floors": {"Calls map": 0.05}},
            "refresh": {"seconds": refresh_s, "cpu": 18.0},
            "read_csv": {"seconds": 3.0, "cpu": 6.0}}


def test_verdicts_name_what_misses():
    met = bench.verdicts([_size(100_000, 0.1, 80_000, 0.5), _size(5_000_000, 0.14, 81_000, 8.7)])
    assert met[1:] == [
        "- filter change within 3x the DuckDB floor: met",
        "- filter change >= 10x faster than naive pandas: met",
        "- map HTML within 10% of 100,000 calls: met (Calls map +1.2%)",
        "- server peak memory < 1.5 GB: met (900 MB)",
        "- refresh < 3x DuckDB read_csv: met (2.9x; CPU time 3.0x)",
    ]
    missed = bench.verdicts([_size(100_000, 0.1, 80_000, 0.5), _size(5_000_000, 0.6, 95_000, 9.3)])
    assert "missed by Calls map 12.0x" in missed[1]
    assert "missed by Calls map 8.3x" in missed[2]
    assert missed[3].startswith("- map HTML within 10% of 100,000 calls: NOT met")
    assert missed[5].endswith("NOT met (3.1x; CPU time 3.0x)")


def _measured(calls: int) -> dict:
    """One size's results as measure_size returns them (two pages)."""
    pages = [{"page": name, "first_s": 0.5, "first_cpu": 0.6, "change_s": 0.2, "change_cpu": 0.25,
              "change_queries": 3, "change_max_rows": 1200, "errors": [], "map_bytes": 80 * 1024}
             for name in ("Overview", "Calls map")]
    return {"calls": calls, "csv_mb": 21.0,
            "refresh": {"seconds": 0.7, "cpu": 1.0, "rss_mb": 360.0},
            "read_csv": {"seconds": 0.25, "cpu": 0.3},
            "server": {"pages": pages, "rss_mb": 420.0},
            "floor": {"floors": {"Overview": 0.1, "Calls map": 0.01}},
            "pandas": {"seconds": 4.0, "read_s": 3.0, "group_s": 1.0}}


def test_size_block_is_one_table_with_its_figures():
    block = bench.size_block(_measured(100_000), "Measured now (load average 0.5 at start).")
    assert block.startswith("### 100,000 calls\n\nMeasured now (load average 0.5 at start).")
    assert "read_csv 0.25 s (CPU 0.30 s): **2.8x**" in block
    assert "| Overview | 0.50 (0.60) | 0.20 (0.25) | 0.100 | 2.0x | 20x | 3 | 1,200 | 0 |" in block
    assert "| Calls map | 0.50 (0.60) | 0.20 (0.25) | 0.010 | n/a |" in block
    assert block.count("| page |") == 1
    assert block.rstrip().endswith("(The targets are set at 5,000,000 calls.)")
    big = bench.size_block(_measured(5_000_000), "Measured now.")
    assert "- refresh < 3x DuckDB read_csv: met (2.8x; CPU time 3.3x)" in big
    assert "Targets" not in big and "targets are set" not in big


def test_rewrite_replaces_measured_sizes_and_keeps_the_others(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text("# Perf\n\nintro\n\n<!-- bench:scale begin -->\n<!-- calls=100000 -->\nold 100k\n\n"
                   "<!-- calls=5000000 -->\nold 5M\n<!-- bench:scale end -->\n\nNotes stay.\n")
    bench_doc.rewrite_blocks(doc, {100_000: "new 100k\n", 1_000_000: "new 1M\n"})
    text = doc.read_text()
    assert "old 100k" not in text and "old 5M" in text and "Notes stay." in text
    assert text.index("new 100k") < text.index("new 1M") < text.index("old 5M")
    assert text.count("<!-- calls=100000 -->") == 1
    bench_doc.rewrite_blocks(doc, {100_000: "newer 100k\n"})  # a second run: still one block
    assert doc.read_text().count("100k") == 1


def test_rewrite_refuses_a_document_without_the_region(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text("# Perf\n")
    with pytest.raises(ValueError, match="bench:scale begin"):
        bench_doc.rewrite_blocks(doc, {100_000: "x\n"})
    assert doc.read_text() == "# Perf\n"


def test_the_project_performance_page_has_a_block_per_size():
    region = bench_doc._REGION.search(bench_doc.PERFORMANCE_DOC.read_text())
    assert region and set(bench_doc.read_blocks(region.group(1))) == {100_000, 1_000_000, 5_000_000}
