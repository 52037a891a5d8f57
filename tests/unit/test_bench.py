"""The scale benchmark's own logic: runs in turn, and the verdicts against the issue's targets."""

from __future__ import annotations

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
