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
   form checks them. With a secret of 32 characters or more (``ATLAS_AUTH_SECRET``, or
   ``[atlas] cookie_secret``), a sign-in is kept in a signed cookie for ``ATLAS_SIGNIN_HOURS``
   (10): reloads and opened links stay signed in (``response_atlas.signin``). Failed tries are
   counted per user name and client address in the data folder, across sessions and processes.

A public process (``ATLAS_PUBLIC_ONLY=1``) has none of these: no sign-in, no staff role.

Tests only: ``ATLAS_TEST_STAFF_USER`` and ``ATLAS_TEST_STAFF_PASSWORD_HASH`` add one more hashed
account from the environment, so browser tests sign in through the real form. It is a configured
secret like any other: without the password it grants nothing.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import bcrypt
import streamlit as st
import streamlit.components.v1 as components

from response_atlas import signin
from response_atlas.config import (
    AUTH_SECRET_ENV,
    load_settings,
    public_only,
    signin_hours,
    trust_proxy,
)
from response_atlas.pages_registry import PUBLIC, ROLES, STAFF

ROLE_KEY = "_atlas_role"
USER_KEY = "_atlas_user"
TOKEN_KEY = "_atlas_signin_token"  # the cookie this session keeps writing while signed in
SIGNED_OUT_KEY = "_atlas_signed_out"  # this session signed out: its initial cookie is void
COOKIE_NAME = "atlas_staff"
LOOPBACK = ("127.0.0.1", "::1", "")
_cookie_frame = components.declare_component(
    "atlas_cookie", path=str(Path(__file__).with_name("cookie_frame")))
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


def signin_secret() -> str | None:
    """The key that signs sign-in cookies: ``ATLAS_AUTH_SECRET``, else ``[atlas] cookie_secret``."""
    secret = os.environ.get(AUTH_SECRET_ENV) or _secret_section("atlas").get("cookie_secret")
    return secret if signin.usable_secret(secret) else None


def client_address() -> str:
    """The browser's address: the proxy's ``X-Real-IP`` when the connection is from this
    machine (the app listens on loopback behind nginx), else the connection's own."""
    direct = _text(st.context.ip_address)
    if direct in LOOPBACK and trust_proxy():
        forwarded = _text(st.context.headers.get("X-Real-IP")).strip()
        if forwarded:
            return forwarded[:64]
    return direct or "local"


def _text(value: object) -> str:
    """``value`` when it is text, else empty (AppTest's context has no request)."""
    return value if isinstance(value, str) else ""


_stores: dict[Path, signin.FailureStore] = {}


def failure_store() -> signin.FailureStore:
    """The failed-tries store in the data folder (one file for every process)."""
    path = load_settings().data_dir / "auth" / "signin-failures.sqlite"
    if path not in _stores:
        try:
            _stores[path] = signin.FailureStore(path)
        except (OSError, sqlite3.Error):
            # a read-only data folder: count in this machine's temporary folder instead (still
            # across sessions; per process where systemd gives each a private /tmp)
            fallback = Path(tempfile.gettempdir()) / "atlas-signin-failures.sqlite"
            _stores[path] = signin.FailureStore(fallback)
    return _stores[path]


def _role_from_cookie() -> bool:
    """Sign the session in from a valid cookie sent with the page; True when it did."""
    if st.session_state.get(SIGNED_OUT_KEY):
        return False
    token = _text(st.context.cookies.get(COOKIE_NAME))
    found = signin.verify_token(token, password_hashes(), signin_secret()) if token else None
    if found is None:
        return False
    st.session_state[ROLE_KEY] = STAFF
    st.session_state[USER_KEY] = found.user
    st.session_state[TOKEN_KEY] = (token, found.expires)
    return True


def _write_cookie(value: str, max_age: int) -> None:
    """Set (or with ``max_age`` 0 delete) the sign-in cookie through the same-origin frame."""
    _cookie_frame(name=COOKIE_NAME, value=value, max_age=max_age, key="atlas_cookie",
                  default=None)


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
    if _role_from_cookie():
        return STAFF
    return _oidc_role()


def _sign_out() -> None:
    for key in (ROLE_KEY, USER_KEY, TOKEN_KEY):
        st.session_state.pop(key, None)
    st.session_state[SIGNED_OUT_KEY] = True


def _sign_in(user: str, hashes: Mapping[str, str]) -> None:
    st.session_state[ROLE_KEY] = STAFF
    st.session_state[USER_KEY] = user
    st.session_state.pop(SIGNED_OUT_KEY, None)
    secret = signin_secret()
    if secret:
        hours = signin_hours()
        token = signin.sign_token(user, hashes[user], secret, hours)
        st.session_state[TOKEN_KEY] = (token, int(time.time() + hours * 3600))


def _keep_cookie() -> None:
    """While signed in, keep the cookie frame on the page (it writes the cookie once loaded)."""
    kept = st.session_state.get(TOKEN_KEY)
    if kept:
        token, expires = kept
        _write_cookie(token, max(0, int(expires - time.time())))


def render_login(role: str) -> None:
    """Sidebar sign-in / sign-out controls; nothing at all in public-only mode."""
    if public_only():
        return  # a public process: no sign-in exists, whatever the secrets hold
    side = st.sidebar
    if role == STAFF and st.session_state.get(ROLE_KEY) == STAFF:
        side.caption(f"Signed in as staff: {st.session_state.get(USER_KEY, '')}")
        with side:
            _keep_cookie()
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
    if st.session_state.get(SIGNED_OUT_KEY):
        with side:
            _write_cookie("", 0)  # signed out here: the browser forgets the cookie too
    with side.expander("Staff sign-in"):
        _render_password_form(hashes)


def _render_password_form(hashes: Mapping[str, str]) -> None:
    """The sign-in form; failed tries count per user name and address, in every process."""
    store, address = failure_store(), client_address()
    if store.address_locked(address):
        st.error("Too many failed sign-ins from this address. Try again in 15 minutes.")
        return
    with st.form("atlas_login", clear_on_submit=True, border=False):
        user = st.text_input("User name", key="atlas_login_user")
        password = st.text_input("Password", type="password", key="atlas_login_password")
        submitted = st.form_submit_button("Sign in")
    if not submitted:
        return
    if store.locked(user, address):
        st.error("Too many failed sign-ins for this user name from this address. "
                 "Try again in 15 minutes.")
        return
    if check_credentials(user, password, hashes):
        store.clear(user, address)
        _sign_in(user.strip(), hashes)
        st.rerun()
    store.record_failure(user, address)
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
