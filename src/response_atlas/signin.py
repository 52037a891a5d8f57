"""Staff sign-in that outlives a browser session: signed, expiring tokens and a shared lockout.

No streamlit here (``ui/auth.py`` uses it):

- :func:`sign_token` / :func:`verify_token`: ``<payload>.<signature>`` where the payload holds the
  user name, the issue and expiry times, and the signature is an HMAC-SHA256 over the payload and
  the user's current password hash, keyed with the deployment's secret. Changing a password or
  the secret signs every browser of that user out; nothing is stored on the server.
- :class:`FailureStore`: failed tries in a small SQLite file in the data folder, shared by every
  app process and every session: counted per (user name, client address) and per address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MIN_SECRET_CHARS = 32
MAX_USER_CHARS = 100
WINDOW_S = 15 * 60  # failures older than this are forgotten
MAX_PAIR_FAILURES = 5  # one user name from one address
MAX_ADDRESS_FAILURES = 20  # any user names from one address


@dataclass(frozen=True)
class Token:
    user: str
    issued: int
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str, password_hash: str) -> str:
    key = secret.encode("utf-8")
    message = f"{payload}.{password_hash}".encode()
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def usable_secret(secret: str | None) -> bool:
    """A secret long enough to sign with (32 characters or more)."""
    return isinstance(secret, str) and len(secret.strip()) >= MIN_SECRET_CHARS


def sign_token(user: str, password_hash: str, secret: str, hours: float,
               now: float | None = None) -> str:
    """A token for ``user`` valid ``hours`` from ``now``."""
    if not usable_secret(secret):
        raise ValueError(f"the sign-in secret needs at least {MIN_SECRET_CHARS} characters")
    issued = int(time.time() if now is None else now)
    body = {"u": user, "i": issued, "e": issued + int(hours * 3600)}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_signature(secret, payload, password_hash)}"


def verify_token(token: str | None, hashes: dict[str, str], secret: str | None,
                 now: float | None = None) -> Token | None:
    """The token's content when its signature holds for a configured user and it has not
    expired; None for anything else (malformed, forged, expired, unknown or changed user)."""
    if not token or not usable_secret(secret) or token.count(".") != 1:
        return None
    payload, signature = token.split(".")
    try:
        body = json.loads(_unb64(payload))
        user, issued, expires = str(body["u"]), int(body["i"]), int(body["e"])
    except (ValueError, KeyError, TypeError):
        return None
    password_hash = hashes.get(user)
    if password_hash is None:
        return None
    if not hmac.compare_digest(signature, _signature(secret, payload, password_hash)):
        return None
    moment = time.time() if now is None else now
    if not issued - 60 <= moment < expires:  # a minute of clock skew between processes
        return None
    return Token(user, issued, expires)


def normal_user(user: str) -> str:
    """The user name failures are counted under (case and stray spaces do not matter)."""
    return (user or "").strip().lower()[:MAX_USER_CHARS]


class FailureStore:
    """Failed sign-in tries in SQLite, shared across sessions and processes."""

    def __init__(self, path: Path, window_s: float = WINDOW_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.path, self.window_s, self.clock = Path(path), window_s, clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS failures "
                       "(user TEXT NOT NULL, address TEXT NOT NULL, at REAL NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS failures_address ON failures (address, at)")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # several app processes write here: wait for each other's short transactions
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def _since(self) -> float:
        return self.clock() - self.window_s

    def counts(self, user: str, address: str) -> tuple[int, int]:
        """``(failures of this user from this address, failures from this address)``."""
        with self._connect() as db:
            pair = db.execute("SELECT count(*) FROM failures WHERE user = ? AND address = ? "
                              "AND at >= ?", (normal_user(user), address, self._since()))
            pair_count = pair.fetchone()[0]
            total = db.execute("SELECT count(*) FROM failures WHERE address = ? AND at >= ?",
                               (address, self._since())).fetchone()[0]
        return pair_count, total

    def locked(self, user: str, address: str) -> bool:
        """True when this user name from this address, or this address, has tried too often."""
        pair, total = self.counts(user, address)
        return pair >= MAX_PAIR_FAILURES or total >= MAX_ADDRESS_FAILURES

    def address_locked(self, address: str) -> bool:
        """True when this address has tried too often, whatever the user names."""
        return self.counts("", address)[1] >= MAX_ADDRESS_FAILURES

    def record_failure(self, user: str, address: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM failures WHERE at < ?", (self._since(),))
            db.execute("INSERT INTO failures VALUES (?, ?, ?)",
                       (normal_user(user), address, self.clock()))

    def clear(self, user: str, address: str) -> None:
        """Forget this user's failures from this address (after a good sign-in)."""
        with self._connect() as db:
            db.execute("DELETE FROM failures WHERE user = ? AND address = ?",
                       (normal_user(user), address))
