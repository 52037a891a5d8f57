"""A public process (ATLAS_PUBLIC_ONLY=1): no staff page and no sign-in, whatever is configured."""

from __future__ import annotations

import os

import bcrypt
import pytest
from streamlit.testing.v1 import AppTest

from response_atlas.pages_registry import PAGES, PUBLIC, STAFF, pages_for_role
from response_atlas.ui.auth import ROLE_KEY
from tests.apptest_helpers import APP

HASH = bcrypt.hashpw(b"a test passphrase 42", bcrypt.gensalt(rounds=4)).decode()


def test_registry_has_only_public_pages_for_staff_in_a_public_process(monkeypatch):
    assert any(p.audience == STAFF for p in pages_for_role(STAFF))
    monkeypatch.setenv("ATLAS_PUBLIC_ONLY", "1")
    assert pages_for_role(STAFF) == [p for p in PAGES if p.audience == PUBLIC]


def test_public_process_ignores_a_staff_role_and_shows_no_sign_in(tiny_data_dir, monkeypatch):
    monkeypatch.setenv("ATLAS_PUBLIC_ONLY", "1")
    os.environ["ATLAS_DATA_DIR"] = str(tiny_data_dir)
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["atlas"] = {"passwords": {"lead": HASH}}
    at.session_state[ROLE_KEY] = STAFF  # even a session marked staff
    at.run()
    assert not at.exception
    assert not [e for e in at.sidebar.expander if e.label == "Staff sign-in"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/staff/data.py")
