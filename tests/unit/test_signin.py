"""Sign-in tokens (signature, expiry, revocation) and the shared failed-tries store."""

from __future__ import annotations

import pytest

from response_atlas import signin

SECRET = "s" * 40
HASHES = {"lead": "$2b$04$" + "a" * 53, "analyst": "$2b$04$" + "b" * 53}
NOW = 1_800_000_000.0


def test_token_round_trip_and_expiry():
    token = signin.sign_token("lead", HASHES["lead"], SECRET, hours=10, now=NOW)
    found = signin.verify_token(token, HASHES, SECRET, now=NOW + 9.9 * 3600)
    assert found == signin.Token("lead", int(NOW), int(NOW) + 36_000)
    assert signin.verify_token(token, HASHES, SECRET, now=NOW + 10 * 3600) is None  # expired
    assert signin.verify_token(token, HASHES, SECRET, now=NOW - 3600) is None  # not yet valid


def test_forged_or_revoked_tokens_fail():
    token = signin.sign_token("lead", HASHES["lead"], SECRET, hours=10, now=NOW)
    payload, signature = token.split(".")
    # the same signature on another user's payload
    other = signin.sign_token("analyst", HASHES["analyst"], SECRET, hours=10, now=NOW)
    assert signin.verify_token(other.split(".")[0] + "." + signature, HASHES, SECRET, now=NOW) \
        is None
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert signin.verify_token(f"{payload}.{flipped}", HASHES, SECRET, now=NOW) is None
    assert signin.verify_token(token, HASHES, "t" * 40, now=NOW) is None  # another secret
    # a changed password or a removed account signs every browser out
    assert signin.verify_token(token, {**HASHES, "lead": "$2b$04$" + "c" * 53}, SECRET,
                               now=NOW) is None
    assert signin.verify_token(token, {"analyst": HASHES["analyst"]}, SECRET, now=NOW) is None
    for junk in ("", "abc", "a.b.c", "!!!.???", None):
        assert signin.verify_token(junk, HASHES, SECRET, now=NOW) is None


def test_short_secrets_are_refused():
    assert not signin.usable_secret("short")
    assert not signin.usable_secret(None)
    with pytest.raises(ValueError, match="32 characters"):
        signin.sign_token("lead", HASHES["lead"], "short", hours=1)
    token = signin.sign_token("lead", HASHES["lead"], SECRET, hours=1, now=NOW)
    assert signin.verify_token(token, HASHES, "short", now=NOW) is None


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def test_failures_lock_a_user_from_an_address_across_store_instances(tmp_path):
    clock = Clock()
    path = tmp_path / "auth" / "failures.sqlite"
    first = signin.FailureStore(path, clock=clock)
    for _ in range(signin.MAX_PAIR_FAILURES - 1):
        first.record_failure("Lead ", "10.0.0.5")
    second = signin.FailureStore(path, clock=clock)  # another session or process
    assert not second.locked("lead", "10.0.0.5")
    second.record_failure("LEAD", "10.0.0.5")  # the same user name, differently typed
    assert first.locked("lead", "10.0.0.5")
    assert not first.locked("lead", "10.0.0.6")  # another address
    assert not first.locked("analyst", "10.0.0.5")  # another user name
    clock.now += signin.WINDOW_S + 1  # the window passes
    assert not first.locked("lead", "10.0.0.5")


def test_an_address_trying_many_names_is_locked(tmp_path):
    store = signin.FailureStore(tmp_path / "f.sqlite", clock=Clock())
    for i in range(signin.MAX_ADDRESS_FAILURES):
        store.record_failure(f"user{i}", "10.0.0.9")
    assert store.address_locked("10.0.0.9")
    assert store.locked("someone-new", "10.0.0.9")
    assert not store.address_locked("10.0.0.8")


def test_a_good_sign_in_clears_that_user_and_address(tmp_path):
    store = signin.FailureStore(tmp_path / "f.sqlite", clock=Clock())
    for _ in range(3):
        store.record_failure("lead", "10.0.0.5")
        store.record_failure("lead", "10.0.0.7")
    store.clear("lead", "10.0.0.5")
    assert store.counts("lead", "10.0.0.5") == (0, 0)
    assert store.counts("lead", "10.0.0.7") == (3, 3)
