"""Who is looking: public (the default, no login) or staff.

Three set-ups, read from ``.streamlit/secrets.toml`` (never committed):

1. Nothing configured: public-only mode. No login control is shown and no staff page exists.
2. An identity provider (``[auth]`` with ``redirect_uri``, ``cookie_secret`` and the provider's
   ``client_id`` / ``client_secret`` / ``server_metadata_url``): staff sign in with ``st.login``
   (OIDC; needs ``pip install Authlib``). The role comes from an email allowlist
   (``[atlas] staff_emails = ["lead@city.gov"]``) or a claim
   (``[atlas] staff_claim = "groups"`` and ``staff_claim_value = "atlas-staff"``).
3. No identity provider, small deployment: ``[atlas.passwords]`` maps user names to **bcrypt
   hashes** (never plain text; make one with ``python -m response_atlas.ui.auth hash``). A sidebar
   form checks them.

Tests only: ``ATLAS_TEST_STAFF_USER`` and ``ATLAS_TEST_STAFF_PASSWORD_HASH`` add one more hashed
account from the environment, so browser tests sign in through the real form. It is a configured
secret like any other: without the password it grants nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping

import bcrypt
import streamlit as st

from response_atlas.config import public_only
from response_atlas.pages_registry import PUBLIC, ROLES, STAFF

ROLE_KEY = "_atlas_role"
USER_KEY = "_atlas_user"
FAILURES_KEY = "_atlas_login_failures"
MAX_FAILURES = 5  # per session; then the form stops accepting attempts
TEST_USER_ENV = "ATLAS_TEST_STAFF_USER"
TEST_HASH_ENV = "ATLAS_TEST_STAFF_PASSWORD_HASH"
BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
# Checked when the user name is unknown, so a wrong name costs as much time as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(rounds=10))


# --- pure helpers (unit-tested) ----------------------------------------------------------------


def is_bcrypt_hash(value: object) -> bool:
    """True for a bcrypt hash string such as ``$2b$12$...`` (60 characters)."""
    return isinstance(value, str) and value.startswith(BCRYPT_PREFIXES) and len(value) == 60


def hash_password(password: str, rounds: int = 12) -> str:
    """A bcrypt hash to paste into ``[atlas.passwords]``."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, hashed: str) -> bool:
    """Check ``password`` against a bcrypt hash; False for anything malformed."""
    if not password or not is_bcrypt_hash(hashed):
        return False
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False


def check_credentials(user: str, password: str, hashes: Mapping[str, str]) -> bool:
    """True when ``user`` exists in ``hashes`` and ``password`` matches its hash."""
    hashed = hashes.get((user or "").strip())
    if hashed is None:
        bcrypt.checkpw(b"x", _DUMMY_HASH)  # same cost as a real check
        return False
    return verify_password(password, hashed)


def usable_hashes(entries: Mapping[str, object]) -> tuple[dict[str, str], list[str]]:
    """``(hashes, rejected_users)``: only bcrypt hashes are accepted, plain text never."""
    good, bad = {}, []
    for user, value in (entries or {}).items():
        if is_bcrypt_hash(value):
            good[str(user)] = value
        else:
            bad.append(str(user))
    return good, bad


def role_from_identity(
    email: str | None,
    claims: Mapping[str, object],
    staff_emails: Iterable[str] = (),
    staff_claim: str | None = None,
    staff_claim_value: str | None = None,
) -> str:
    """Staff when the email is allowlisted (case-insensitive) or the claim holds the value."""
    allow = {e.strip().lower() for e in staff_emails if e and e.strip()}
    if email and email.strip().lower() in allow:
        return STAFF
    if staff_claim and staff_claim_value is not None:
        value = claims.get(staff_claim)
        values = value if isinstance(value, list | tuple | set) else [value]
        if str(staff_claim_value) in {str(v) for v in values if v is not None}:
            return STAFF
    return PUBLIC


# --- secrets -----------------------------------------------------------------------------------


def _secret_section(name: str) -> Mapping[str, object]:
    """A secrets section as a dict; empty when there is no secrets file or no such section."""
    try:
        section = st.secrets.get(name)
    except FileNotFoundError:  # no secrets.toml (StreamlitSecretNotFoundError subclasses it)
        return {}
    return dict(section) if isinstance(section, Mapping) else {}


def oidc_configured() -> bool:
    """An identity provider is set up in ``[auth]``."""
    auth = _secret_section("auth")
    return bool(auth.get("redirect_uri") and auth.get("cookie_secret"))


def password_hashes() -> dict[str, str]:
    """Hashed staff accounts from ``[atlas.passwords]`` (plus the test-only environment one)."""
    atlas = _secret_section("atlas")
    passwords = atlas.get("passwords")
    hashes, _ = usable_hashes(dict(passwords) if isinstance(passwords, Mapping) else {})
    test_user, test_hash = os.environ.get(TEST_USER_ENV), os.environ.get(TEST_HASH_ENV)
    if test_user and is_bcrypt_hash(test_hash):
        hashes[test_user] = test_hash
    return hashes


def _oidc_role() -> str:
    if not oidc_configured() or not getattr(st.user, "is_logged_in", False):
        return PUBLIC
    atlas = _secret_section("atlas")
    claims = st.user.to_dict()
    return role_from_identity(
        claims.get("email"), claims, atlas.get("staff_emails") or (),
        atlas.get("staff_claim"), atlas.get("staff_claim_value"),
    )


# --- streamlit ---------------------------------------------------------------------------------


def resolve_role() -> str:
    """The session's role; only server code (a verified login) ever sets it to staff.

    Always public in a public process (``ATLAS_PUBLIC_ONLY=1``).
    """
    if public_only():
        return PUBLIC
    role = st.session_state.get(ROLE_KEY, PUBLIC)
    if role == STAFF and role in ROLES:
        return STAFF
    return _oidc_role()


def _sign_out() -> None:
    for key in (ROLE_KEY, USER_KEY):
        st.session_state.pop(key, None)


def render_login(role: str) -> None:
    """Sidebar sign-in / sign-out controls; nothing at all in public-only mode."""
    if public_only():
        return  # a public process: no sign-in exists, whatever the secrets hold
    side = st.sidebar
    if role == STAFF and st.session_state.get(ROLE_KEY) == STAFF:
        side.caption(f"Signed in as staff: {st.session_state.get(USER_KEY, '')}")
        if side.button("Sign out", key="atlas_sign_out"):
            _sign_out()
            st.rerun()
        return
    if oidc_configured():
        if getattr(st.user, "is_logged_in", False):
            note = "staff" if role == STAFF else "no staff access"
            side.caption(f"Signed in as {st.user.get('email', '')} ({note})")
            if side.button("Sign out", key="atlas_oidc_sign_out"):
                st.logout()
        elif side.button("Staff sign-in", key="atlas_oidc_sign_in"):
            st.login(_secret_section("atlas").get("auth_provider") or None)
        return
    hashes = password_hashes()
    if not hashes:
        return  # public-only mode
    with side.expander("Staff sign-in"):
        failures = int(st.session_state.get(FAILURES_KEY, 0))
        if failures >= MAX_FAILURES:
            st.error("Too many attempts. Reload the page to try again later.")
            return
        with st.form("atlas_login", clear_on_submit=True, border=False):
            user = st.text_input("User name", key="atlas_login_user")
            password = st.text_input("Password", type="password", key="atlas_login_password")
            submitted = st.form_submit_button("Sign in")
        if submitted:
            if check_credentials(user, password, hashes):
                st.session_state[ROLE_KEY] = STAFF
                st.session_state[USER_KEY] = user.strip()
                st.session_state[FAILURES_KEY] = 0
                st.rerun()
            st.session_state[FAILURES_KEY] = failures + 1
            st.error("User name or password not recognized.")


def main(argv: list[str] | None = None) -> int:
    """``python -m response_atlas.ui.auth hash``: read a password, print its bcrypt hash."""
    import getpass

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] != ["hash"]:
        print("usage: python -m response_atlas.ui.auth hash")
        return 2
    password = getpass.getpass("Password: ")
    if len(password) < 12:
        print("Use at least 12 characters.", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
