"""Roles through app.py: public sessions cannot see or reach staff pages; staff can; the login form."""

from __future__ import annotations

import os

import bcrypt
import pytest
from streamlit.testing.v1 import AppTest

from response_atlas.pages_registry import PAGES, PUBLIC, STAFF
from tests.apptest_helpers import APP, run_page

STAFF_PAGES = [p.path for p in PAGES if p.audience == STAFF]
PASSWORD = "a test passphrase 42"
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_public_session_cannot_reach_staff_pages(tiny_data_dir, page):
    at = run_page("views/public/overview.py", tiny_data_dir, role=PUBLIC)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)


def test_staff_session_reaches_the_data_page(tiny_data_dir):
    at = run_page("views/staff/data.py", tiny_data_dir, role=STAFF)
    assert not at.exception
    assert at.title[0].value == "Data and refresh"


def test_a_forged_role_value_is_public(tiny_data_dir):
    at = run_page("views/public/overview.py", tiny_data_dir, role="admin")
    with pytest.raises(ValueError):
        at.switch_page("views/staff/data.py")


def _app(data_dir, secrets: dict | None = None) -> AppTest:
    os.environ["ATLAS_DATA_DIR"] = str(data_dir)
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    return at.run()


def _sidebar_buttons(at) -> list[str]:
    return [b.label for b in at.sidebar.button]


def test_public_only_mode_has_no_login(tiny_data_dir, monkeypatch):
    monkeypatch.delenv("ATLAS_TEST_STAFF_PASSWORD_HASH", raising=False)
    at = _app(tiny_data_dir)
    assert not at.exception
    assert not [e for e in at.sidebar.expander if e.label == "Staff sign-in"]
    assert "Sign in" not in _sidebar_buttons(at)


def test_hashed_password_in_secrets_shows_the_form(tiny_data_dir):
    # Submitting the form is tested in a real browser (tests/e2e): with st.navigation, AppTest
    # drops the entry script's sidebar on reruns, so a click there cannot be observed here.
    at = _app(tiny_data_dir, {"atlas": {"passwords": {"lead": HASH}}})
    assert not at.exception
    assert [e.label for e in at.sidebar.expander] == ["Staff sign-in", "Monthly briefing (PDF)"]
    assert _sidebar_buttons(at) == ["Sign in"]
    assert [t.label for t in at.sidebar.text_input] == ["User name", "Password"]
    assert at.sidebar.text_input(key="atlas_login_password").proto.type == 1  # PASSWORD (masked)


def test_plain_text_password_in_secrets_gives_no_login(tiny_data_dir, monkeypatch):
    monkeypatch.delenv("ATLAS_TEST_STAFF_PASSWORD_HASH", raising=False)
    at = _app(tiny_data_dir, {"atlas": {"passwords": {"lead": PASSWORD}}})
    assert not at.exception
    assert not [e for e in at.sidebar.expander if e.label == "Staff sign-in"]
