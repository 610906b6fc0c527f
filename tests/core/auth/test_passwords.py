"""Password hashing."""

from __future__ import annotations

from argon2 import PasswordHasher

from yingji.core.auth.passwords import hash_password, needs_rehash, verify_password


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "correct horse batterY")


def test_same_password_hashes_differently() -> None:
    assert hash_password("correct horse battery") != hash_password("correct horse battery")


def test_garbage_hash_never_verifies_and_wants_a_rehash() -> None:
    assert not verify_password("not-a-hash", "anything")
    assert needs_rehash("not-a-hash")


def test_weaker_parameters_want_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("pw-123456789")
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("pw-123456789"))
