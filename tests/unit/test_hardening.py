"""Hardening checks of issue 10: spreadsheet formulas, downloads, server config, secrets, uploads.

(Escaping in maps: tests/unit/test_map_escaping.py; public payload and hostile links:
tests/app/test_public_payload.py; plain-text passwords: tests/unit/test_auth.py.)
"""

from __future__ import annotations

import ast
import io
import subprocess
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from response_atlas.privacy import defer_csv, template_safe, to_safe_csv

ROOT = Path(__file__).resolve().parents[2]
VIEWS = sorted((ROOT / "views").rglob("*.py"))


# --- CSV downloads ---------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1",
                                  '=HYPERLINK("http://x","y")', "-cmd|' /C calc'!A0"])
def test_formula_like_text_cells_are_quoted(cell):
    out = to_safe_csv(pd.DataFrame({"address": [cell], "calls": [3]}))
    back = pd.read_csv(io.BytesIO(out), dtype=str, keep_default_na=False)
    assert back.to_dict("list") == {"address": ["'" + cell], "calls": ["3"]}


@pytest.mark.parametrize(("cell", "written"), [("\r=1", "\"'\n=1\""),
                                                ("ok\r=HYPERLINK(1)", "\"ok\n=HYPERLINK(1)\""),
                                                ("a\r\nb", "\"a\nb\"")])
def test_a_carriage_return_cannot_start_a_new_row(cell, written):
    # unquoted, a lone CR is a row break in a spreadsheet and "=..." after it would run
    out = to_safe_csv(pd.DataFrame({"address": [cell], "calls": [3]})).decode()
    assert out == f"address,calls\n{written},3\n"
    assert len(pd.read_csv(io.StringIO(out))) == 1


def test_numbers_and_plain_text_stay_as_they_are():
    frame = pd.DataFrame({"area": ["Alpha", "O'Bryonville", ""], "change": [-5, 3, 0],
                          "rate": [-1.5, 2.25, 0.0]})
    assert to_safe_csv(frame).decode() == (
        "area,change,rate\nAlpha,-5,-1.5\nO'Bryonville,3,2.25\n,0,0.0\n")


def test_headers_and_pandas_string_columns_are_neutralized_too():
    frame = pd.DataFrame({"=cmd": pd.array(["@x", "ok"], dtype="string")})
    assert to_safe_csv(frame).decode().splitlines() == ["'=cmd", "'@x", "ok"]


def _download_calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "download_button":
            yield node


def _argument(call: ast.Call, name: str, position: int):
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return call.args[position] if len(call.args) > position else None


def _is_csv(call: ast.Call) -> bool:
    parts = [_argument(call, "file_name", 2), _argument(call, "mime", 3)]
    return any("csv" in ast.unparse(p).lower() for p in parts if p is not None)


def test_every_csv_download_in_the_views_goes_through_defer_csv():
    csv_calls = 0
    for path in VIEWS:
        for call in _download_calls(path):
            if not _is_csv(call):
                continue
            csv_calls += 1
            data = _argument(call, "data", 1)
            assert isinstance(data, ast.Call) and ast.unparse(data.func) == "defer_csv", (
                f"{path.relative_to(ROOT)}:{call.lineno} builds CSV without defer_csv")
    assert csv_calls >= 10  # the check saw the downloads (calls map, equity, outcomes, staff)


def test_every_map_in_the_views_is_drawn_through_show_map():
    # ui.map_view.show_map skips st_folium's second render of every layer (issue 12)
    shown = 0
    for path in VIEWS:
        text = path.read_text()
        assert "st_folium" not in text, f"{path.relative_to(ROOT)} calls st_folium directly"
        shown += text.count("show_map(")
    assert shown >= 7  # the check saw the maps (overview, calls x2, equity x2, coverage x2, ...)


def test_the_download_check_notices_a_raw_csv(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('st.download_button("CSV", frame.to_csv(), "x.csv", "text/csv")\n')
    (call,) = _download_calls(bad)
    assert _is_csv(call) and ast.unparse(_argument(call, "data", 1).func) != "defer_csv"


def test_deferred_csv_is_the_safe_csv_built_on_call():
    frame = pd.DataFrame({"=name": ["=HYPERLINK(1)", "plain"], "n": [1, 2]})
    built = []
    later = defer_csv(lambda: built.append(1) or frame)
    assert built == []  # nothing is built until the download is clicked
    assert later() == to_safe_csv(frame) and built == [1]
    assert defer_csv(frame)() == to_safe_csv(frame)
    assert b"'=HYPERLINK(1)" in later()


# --- JavaScript template literals ------------------------------------------------------------
def test_template_safe_keeps_the_text_and_removes_the_code():
    assert template_safe("<b>${alert(1)}</b> `x` C:\\") == (
        "<b>&#36;{alert(1)}</b> &#96;x&#96; C:&#92;")
    assert template_safe("On duty: Mon-Fri 07:00-15:00") == "On duty: Mon-Fri 07:00-15:00"


# --- server configuration and secrets --------------------------------------------------------
@pytest.fixture(scope="module")
def config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_no_telemetry(config):
    assert config["browser"]["gatherUsageStats"] is False


def test_only_streamlit_calls_write_to_a_page(config):
    # "Magic" off: a bare expression left in a page script (a frame of calls) is not shown.
    assert config["runner"]["magicEnabled"] is False


def test_xsrf_protection_and_upload_limit(config):
    assert config["server"]["enableXsrfProtection"] is True
    assert 0 < config["server"]["maxUploadSize"] <= 50  # megabytes (Streamlit's default is 200)


def test_errors_do_not_show_tracebacks(config):
    # "none" shows a generic message; "full"/"stacktrace"/true would show code and paths
    assert config["client"]["showErrorDetails"] in ("none", False)


def test_secrets_file_is_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT,
                            check=False)
    assert result.returncode == 0, ".streamlit/secrets.toml is not ignored by git"
    tracked = subprocess.run(["git", "ls-files", ".streamlit"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    assert ".streamlit/secrets.toml" not in tracked


# --- the triage page's YAML upload -----------------------------------------------------------
def test_triage_upload_is_limited_to_one_megabyte(tiny_data_dir):
    from tests.apptest_helpers import run_page

    at = run_page("views/staff/triage.py", tiny_data_dir, role="staff")
    uploader = at.get("file_uploader")[0]
    assert uploader.proto.max_upload_size_mb == 1
    big = b"# padding\n" * 110_000  # 1.1 MB of valid YAML comments
    uploader.upload("rules.yaml", big, "application/x-yaml").run()
    assert not at.exception
    assert any("larger than 1 MB" in e.value for e in at.error)
