"""Password hashing with argon2id (argon2-cffi), parameters from the app's settings."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128  # a very long password costs a lot to hash; no person needs more


class Passwords:
    """Hashes and verifies passwords; holds a dummy hash for unknown e-mail addresses."""

    def __init__(self, memory_kib: int, time_cost: int, parallelism: int) -> None:
        self.hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        self._dummy_hash: str | None = None

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Check a password; with no stored hash, verify a dummy so both paths cost the same."""
        if stored_hash is None:
            stored_hash = self.dummy_hash
            password = password + "\x00never-matches"
        try:
            return self.hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self.hasher.check_needs_rehash(stored_hash)

    @property
    def dummy_hash(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash("dummy password for unknown accounts")
        return self._dummy_hash


def init_app(app: Flask) -> None:
    service = Passwords(
        app.config["ARGON2_MEMORY_KIB"],
        app.config["ARGON2_TIME_COST"],
        app.config["ARGON2_PARALLELISM"],
    )
    # Made now, so that the first sign-in with an unknown address costs no more than any other.
    _ = service.dummy_hash
    app.extensions["passwords"] = service


def passwords() -> Passwords:
    return current_app.extensions["passwords"]
