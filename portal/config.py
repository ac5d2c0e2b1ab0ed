"""Settings, read only from environment variables, with safe defaults for development."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Sequence
from email.utils import parseaddr
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The htmx release the portal is built and tested with; package.json pins the same version.
HTMX_VERSION = "2.0.11"
#: Subresource Integrity hash of node_modules/htmx.org/dist/htmx.min.js at that version; a test
#: recomputes it from the installed npm file.
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"

#: SECRET_KEY values that must never reach production.
WEAK_SECRET_KEYS = {"", "dev", "development", "change-me", "secret", "insecure-development-key"}
#: What a production SECRET_KEY must have. A key typed by a person ("x" * 40, "ab" * 32,
#: "0123456789" * 4, a word said four times) fails one of these; a random one passes with room to
#: spare. secrets.token_hex(16), the weakest recipe long enough, scores about 125 bits with 14
#: different characters: 1 in 28 million has fewer than 8, and none of 1.5 million scored under 94
#: bits or repeated more than a fifth of its 3-character runs. token_hex(32) scores about 255.
SECRET_KEY_MIN_LENGTH = 32
SECRET_KEY_MIN_BITS = 90
SECRET_KEY_MIN_DISTINCT = 8
SECRET_KEY_MAX_REPEATED_RUNS = 0.25

#: Rate-limit stores that every worker (and every host) shares: the storage schemes of the `limits`
#: package that Flask-Limiter can use, less memory:// (counters per process) and the async+ ones.
SHARED_RATELIMIT_SCHEMES = frozenset(
    {
        "redis",
        "rediss",
        "redis+unix",
        "redis+cluster",
        "redis+sentinel",
        "valkey",
        "valkeys",
        "valkey+unix",
        "valkey+cluster",
        "valkey+sentinel",
        "memcached",
        "mongodb",
        "mongodb+srv",
    }
)

MB = 1024 * 1024
#: The largest file anyone may upload: the programme team's trust CSV import
#: (portal/web/uploads.py). The request size limit below is made from it.
UPLOAD_MAX_BYTES = 2 * MB
#: Room in a request around that file: the multipart headers and boundaries, the CSRF token.
FORM_OVERHEAD_BYTES = 64 * 1024
#: The default for MAX_CONTENT_LENGTH, and the least it may be: the largest upload must fit.
MIN_CONTENT_LENGTH = UPLOAD_MAX_BYTES + FORM_OVERHEAD_BYTES


def megabytes(size: int) -> str:
    """A size for people to read: 2097152 -> "2 MB", 2162688 -> "2.1 MB"."""
    return f"{round(size / MB, 1):g} MB"


class ConfigError(RuntimeError):
    """Raised when the environment describes a configuration the portal refuses to run with."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _mailbox(env: dict[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if "@" not in parseaddr(value)[1]:
        raise ConfigError(f"{name} must be an e-mail address, like 'Name <name@example.org>'")
    return value


def _mail_settings(env: dict[str, str], production: bool, contact: str) -> dict[str, Any]:
    """Where e-mail goes: SMTP, or .eml files in MAIL_FOLDER (see portal.mail.transports)."""
    smtp_host = env.get("SMTP_HOST", "").strip()
    mail_folder = env.get("MAIL_FOLDER", "").strip()
    if production and not smtp_host and not mail_folder:
        raise ConfigError(
            "SMTP_HOST must name the mail server in production (or MAIL_FOLDER a folder to write "
            "messages into instead): with neither, the portal's e-mail would go nowhere"
        )
    smtp_ssl = _bool(env.get("SMTP_SSL"))
    smtp_starttls = _bool(env.get("SMTP_STARTTLS"))
    if smtp_ssl and smtp_starttls:
        raise ConfigError(
            "Set SMTP_SSL (TLS from the first byte, usually port 465) or SMTP_STARTTLS (a plain "
            "connection upgraded to TLS, usually port 587 or 25), not both"
        )
    username = env.get("SMTP_USERNAME", "").strip()
    password = env.get("SMTP_PASSWORD", "")
    if bool(username) != bool(password):
        raise ConfigError("SMTP_USERNAME and SMTP_PASSWORD go together: set both or neither")
    settings: dict[str, Any] = {
        "MAIL_FROM": _mailbox(env, "MAIL_FROM", "Caesarean section network <noreply@example.org>"),
        "MAIL_ORGANIZER": _mailbox(env, "MAIL_ORGANIZER", contact),
        "MAIL_FOLDER": mail_folder,
        "MAIL_MAX_ATTEMPTS": _int(env, "MAIL_MAX_ATTEMPTS", 8),
        "MAIL_RETRY_BASE_SECONDS": _int(env, "MAIL_RETRY_BASE_SECONDS", 60),
        "SMTP_HOST": smtp_host,
        "SMTP_PORT": _int(env, "SMTP_PORT", 465 if smtp_ssl else 25),
        "SMTP_USERNAME": username,
        "SMTP_PASSWORD": password,
        "SMTP_STARTTLS": smtp_starttls,
        "SMTP_SSL": smtp_ssl,
        "SMTP_TIMEOUT_SECONDS": _int(env, "SMTP_TIMEOUT_SECONDS", 30),
    }
    for name in ("MAIL_MAX_ATTEMPTS", "MAIL_RETRY_BASE_SECONDS", "SMTP_TIMEOUT_SECONDS"):
        if settings[name] < 1:
            raise ConfigError(f"{name} must be at least 1")
    return settings


def _day_list(env: dict[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        days = tuple(sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True))
    except ValueError as exc:
        raise ConfigError(
            f"{name} must be whole numbers of days separated by commas, like 7,1"
        ) from exc
    if any(day < 1 for day in days):
        raise ConfigError(f"{name} must be whole numbers of days of 1 or more")
    return days


def _shannon_bits_per_item(items: Sequence[object]) -> float:
    """Shannon entropy of the items' distribution, in bits per item, with the Miller-Madow
    correction: a short sample of a random source otherwise looks less random than it is."""
    if not items:
        return 0.0
    counts = Counter(items).values()
    total = len(items)
    entropy = -sum(n / total * math.log2(n / total) for n in counts)
    return entropy + (len(counts) - 1) / (2 * total * math.log(2))


def secret_key_entropy_bits(key: str) -> float:
    """An estimate of the key's entropy: length times the smaller of the entropy of its characters
    and the entropy of the steps between neighbouring characters (a run such as "abcd…" or
    "0123…" uses many characters, but always the same step)."""
    steps = [ord(b) - ord(a) for a, b in pairwise(key)]
    return len(key) * min(_shannon_bits_per_item(key), _shannon_bits_per_item(steps))


def secret_key_problem(key: str) -> str | None:
    """Why `key` is not good enough to sign production sessions, or None if it is."""
    if key in WEAK_SECRET_KEYS:
        return "is a well-known placeholder" if key else "is not set"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"is {len(key)} characters long"
    if len(set(key)) < SECRET_KEY_MIN_DISTINCT:
        distinct = len(set(key))
        return "is one character repeated" if distinct == 1 else f"uses only {distinct} characters"
    runs = [key[i : i + 3] for i in range(len(key) - 2)]
    if 1 - len(set(runs)) / len(runs) > SECRET_KEY_MAX_REPEATED_RUNS:
        return "repeats itself"
    if secret_key_entropy_bits(key) < SECRET_KEY_MIN_BITS:
        return "is too predictable (a run such as 0123… or a few characters used over and over)"
    return None


def _ratelimit_storage(env: dict[str, str], production: bool) -> str:
    uri = env.get("RATELIMIT_STORAGE_URI", "").strip() or env.get("REDIS_URL", "").strip()
    if not production:
        return uri or "memory://"
    if not uri:
        raise ConfigError(
            "RATELIMIT_STORAGE_URI (or REDIS_URL) must name a shared store such as redis://… in "
            "production: per-process counters would let each worker count separately"
        )
    # The limits package reads the scheme whatever its case (MEMORY:// is memory://).
    scheme = urlsplit(uri).scheme.lower()
    if scheme == "memory":
        raise ConfigError(
            "RATELIMIT_STORAGE_URI must not be memory:// in production: each worker would count "
            "separately"
        )
    if scheme not in SHARED_RATELIMIT_SCHEMES:
        # Only the scheme is shown: the rest of the address may hold a password.
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI must name a shared store in production, not {scheme or '?'}:"
            f"// (use one of {', '.join(f'{s}://' for s in sorted(SHARED_RATELIMIT_SCHEMES))})"
        )
    return uri


def _max_content_length(env: dict[str, str]) -> int:
    size = _int(env, "MAX_CONTENT_LENGTH", MIN_CONTENT_LENGTH)
    if size < MIN_CONTENT_LENGTH:
        raise ConfigError(
            f"MAX_CONTENT_LENGTH must be at least {MIN_CONTENT_LENGTH} bytes: a trust CSV file may "
            f"be {megabytes(UPLOAD_MAX_BYTES)}, and the form around it must fit too"
        )
    return size


def database_url(env: dict[str, str], instance_path: str) -> str:
    """SQLite in the instance folder unless DATABASE_URL names another database."""
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "portal.sqlite3")
    # Hosting platforms often hand out postgres:// URLs; psycopg 3 needs its own driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(instance_path: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask configuration mapping from the environment."""
    env = dict(os.environ if env is None else env)
    portal_env = env.get("PORTAL_ENV", "development").strip().lower() or "development"
    if portal_env not in {"development", "production"}:
        raise ConfigError("PORTAL_ENV must be 'development' or 'production'")
    production = portal_env == "production"

    secret_key = env.get("SECRET_KEY", "")
    problem = secret_key_problem(secret_key) if production else None
    if problem:
        # The key itself is never shown: the message may end up in a log.
        raise ConfigError(
            f"SECRET_KEY must be a random value of at least {SECRET_KEY_MIN_LENGTH} characters in "
            f"production, and this one {problem}. Make one with: "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if not secret_key:
        secret_key = "insecure-development-key"

    ratelimit_storage = _ratelimit_storage(env, production)

    base_url = env.get("PORTAL_BASE_URL", "").strip().rstrip("/")
    if production and not base_url.startswith("https://"):
        raise ConfigError("PORTAL_BASE_URL must be the portal's https:// address in production")
    if not base_url:
        base_url = "http://127.0.0.1:5000"

    contact = env.get("PROGRAMME_CONTACT_EMAIL", "cs-programme@example.org").strip()
    mail = _mail_settings(env, production, contact)

    return {
        "PORTAL_ENV": portal_env,
        "PRODUCTION": production,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url(env, instance_path),
        "PORTAL_BASE_URL": base_url,
        "PROGRAMME_CONTACT_EMAIL": contact,
        "EVENTS_PER_REGION": _int(env, "EVENTS_PER_REGION", 3),
        "SELF_SERVICE_LINK_DAYS": _int(env, "SELF_SERVICE_LINK_DAYS", 400),
        "INVITATION_DAYS": _int(env, "INVITATION_DAYS", 7),
        "PASSWORD_RESET_MINUTES": _int(env, "PASSWORD_RESET_MINUTES", 60),
        "SESSION_IDLE_MINUTES": _int(env, "SESSION_IDLE_MINUTES", 30),
        "SESSION_LIFETIME_HOURS": _int(env, "SESSION_LIFETIME_HOURS", 12),
        "PASSWORD_RESET_LIMIT": env.get("PASSWORD_RESET_LIMIT", "5 per hour"),
        "REMINDER_DAYS": _day_list(env, "REMINDER_DAYS", (7, 1)),
        "PURGE_AFTER_DAYS": _int(env, "PURGE_AFTER_DAYS", 365),
        "PURGE_NEEDS_AFTER_DAYS": _int(env, "PURGE_NEEDS_AFTER_DAYS", 30),
        "TRUSTED_PROXY_COUNT": _int(env, "TRUSTED_PROXY_COUNT", 0),
        "HTMX_LOCAL_ONLY": _bool(env.get("HTMX_LOCAL_ONLY")),
        "HTMX_CDN_URL": env.get("HTMX_CDN_URL", "").strip()
        or f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js",
        "NODE_MODULES": env.get("NODE_MODULES", "").strip() or str(PROJECT_ROOT / "node_modules"),
        "RATELIMIT_STORAGE_URI": ratelimit_storage,
        "RATELIMIT_HEADERS_ENABLED": True,
        "SIGN_IN_LIMIT_PER_ADDRESS": env.get("SIGN_IN_LIMIT_PER_ADDRESS", "20 per 10 minutes"),
        "SIGN_IN_LIMIT_PER_ACCOUNT": env.get("SIGN_IN_LIMIT_PER_ACCOUNT", "5 per 10 minutes"),
        # OWASP password storage guidance for argon2id: 19 MiB, 2 iterations, 1 lane.
        "ARGON2_MEMORY_KIB": _int(env, "ARGON2_MEMORY_KIB", 19456),
        "ARGON2_TIME_COST": _int(env, "ARGON2_TIME_COST", 2),
        "ARGON2_PARALLELISM": _int(env, "ARGON2_PARALLELISM", 1),
        "SESSION_COOKIE_NAME": "portal_session",
        "SESSION_COOKIE_SECURE": production or _bool(env.get("SESSION_COOKIE_SECURE")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Larger requests get 413 before their body is read (portal/web/inputs.py).
        "MAX_CONTENT_LENGTH": _max_content_length(env),
        "DB_LOCK_TIMEOUT_MS": _int(env, "DB_LOCK_TIMEOUT_MS", 5000),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        # Public pages kept per worker for anonymous visitors (portal/web/pagecache.py).
        "PAGE_CACHE_SIZE": _int(env, "PAGE_CACHE_SIZE", 256),
        "PAGE_CACHE_SECONDS": max(_int(env, "PAGE_CACHE_SECONDS", 60), 1),
        **mail,
    }
