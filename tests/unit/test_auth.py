"""Staff sign-in helpers: bcrypt verification, plain-text rejection, role from identity."""

from __future__ import annotations

import bcrypt
import pytest

from response_atlas.ui import auth

# rounds=4 keeps the tests fast; production hashes use 12
HASH = bcrypt.hashpw(b"correct horse battery", bcrypt.gensalt(rounds=4)).decode()


def test_verify_password():
    assert auth.verify_password("correct horse battery", HASH) is True
    assert auth.verify_password("correct horse batterY", HASH) is False
    assert auth.verify_password("", HASH) is False
    # a plain-text "hash" never verifies, even when it equals the password
    assert auth.verify_password("hunter2", "hunter2") is False
    assert auth.verify_password("x", "$2b$04$" + "!" * 53) is False  # malformed hash


def test_hash_password_round_trip():
    hashed = auth.hash_password("a long passphrase here", rounds=4)
    assert auth.is_bcrypt_hash(hashed)
    assert auth.verify_password("a long passphrase here", hashed)


def test_check_credentials():
    hashes = {"lead": HASH}
    assert auth.check_credentials("lead", "correct horse battery", hashes)
    assert auth.check_credentials(" lead ", "correct horse battery", hashes)  # stray spaces
    assert not auth.check_credentials("LEAD", "correct horse battery", hashes)
    assert not auth.check_credentials("nobody", "correct horse battery", hashes)
    assert not auth.check_credentials("lead", "wrong", hashes)


def test_plain_text_passwords_in_secrets_are_refused():
    hashes, rejected = auth.usable_hashes({"lead": HASH, "careless": "password123"})
    assert hashes == {"lead": HASH}
    assert rejected == ["careless"]


@pytest.mark.parametrize(("email", "claims", "expected"), [
    ("Lead@City.gov", {}, "staff"),
    ("someone@else.org", {}, "public"),
    (None, {}, "public"),
    ("x@y.z", {"groups": ["atlas-staff", "other"]}, "staff"),
    ("x@y.z", {"groups": "atlas-staff"}, "staff"),
    ("x@y.z", {"groups": ["atlas-staff-not"]}, "public"),
])
def test_role_from_identity(email, claims, expected):
    role = auth.role_from_identity(email, claims, staff_emails=["lead@city.gov"],
                                   staff_claim="groups", staff_claim_value="atlas-staff")
    assert role == expected


def test_no_claim_rule_means_email_only():
    assert auth.role_from_identity("x@y.z", {"groups": ["atlas-staff"]}, []) == "public"


def test_test_account_needs_a_real_hash(monkeypatch):
    monkeypatch.setenv(auth.TEST_USER_ENV, "tester")
    monkeypatch.setenv(auth.TEST_HASH_ENV, "plain-text")
    assert "tester" not in auth.password_hashes()
    monkeypatch.setenv(auth.TEST_HASH_ENV, HASH)
    assert auth.password_hashes()["tester"] == HASH


def test_hash_command_refuses_short_passwords(monkeypatch, capsys):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "short")
    assert auth.main(["hash"]) == 1
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "a long enough passphrase")
    assert auth.main(["hash"]) == 0
    assert auth.is_bcrypt_hash(capsys.readouterr().out.strip())
