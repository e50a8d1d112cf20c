"""Settings read from the environment, as OPERATIONS.md lists them."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./guichet.db"
DEMO_SECRET_FILE = Path(".guichet-secret")
DEFAULT_BANK_TRANSFER_ACCOUNT = "Orange CI, SGCI Abidjan, IBAN CI93 CI008 01001 012345678901 23, BIC SGCICIAB"


class SettingsError(RuntimeError):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = ""
    public_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    mail_from: str = "no-reply@guichet.local"
    webhook_secret: str = ""
    support_channels_file: str | None = None
    demo: bool = False
    # Deployments that hide the schema turn both off (SEC-12, SEC-13).
    graphiql: bool = True
    introspection: bool = True
    # Limits (SEC-01..04); numbers from the security checklist's proposals.
    max_body_bytes: int = 64 * 1024
    max_query_depth: int = 12
    max_aliases: int = 15
    max_tokens: int = 1000
    # Fields of one operation once fragments are expanded (a fragment spread twice counts twice).
    max_selections: int = 2000
    session_ttl_seconds: int = 12 * 3600
    # argon2 profile: "default" (RFC 9106 low memory) or "test" (cheapest; refused outside tests).
    password_hash_profile: str = "default"
    # How long an Orange Money payment waits for its webhook (GUICHET_PAYMENT_EXPIRY_SECONDS).
    payment_expiry_seconds: int = 30 * 60
    # Bank transfers take days, not minutes (GUICHET_BANK_TRANSFER_EXPIRY_DAYS).
    bank_transfer_expiry_days: int = 7
    # Where reconciliation cases (money received that paid nothing) are e-mailed; unset: none sent.
    operations_email: str | None = None
    # Where BANK_TRANSFER payers wire the money (payments area); a demo account by default.
    bank_transfer_account: str = DEFAULT_BANK_TRANSFER_ACCOUNT
    redis_url: str | None = None
    # Compiled execution of queries (guichet/execution/); off: graphql-core executes everything.
    fast_path: bool = True
    # Addresses (or CIDR ranges, or "*") of reverse proxies whose X-Forwarded-For names the client;
    # empty: the TCP peer is the client (what per-address throttles count).
    forwarded_allow_ips: str = ""
    # Log lines: "text" (key=value) or "json" (one object per line), at this level and above.
    log_format: str = "text"
    log_level: str = "INFO"
    # Attachments and generated files (service requests); created on first write.
    files_dir: str = "./guichet-files"
    # Optional TOML file of per-category SLA hours (guichet.domain.service_requests.categories).
    service_request_categories_file: str | None = None
    # Cost, rate limits and trusted documents (OPERATIONS.md; SEC-06, SEC-07, SEC-09).
    max_query_cost: int = 1000
    rate_capacity: int = 1000
    rate_restore: float = 50.0
    trusted_documents: str = "off"
    request_timeout_seconds: float = 10.0
    # PostgreSQL stops any one SQL statement after this (statement_timeout; SEC-09).
    statement_timeout_seconds: float = 5.0
    # Outgoing webhooks may use http and private addresses (development and tests only).
    webhook_allow_private: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def bank_transfer_expiry_seconds(self) -> int:
        return self.bank_transfer_expiry_days * 24 * 3600

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


TRUSTED_DOCUMENT_MODES = ("off", "log", "enforce")


def _positive_int(env: object, name: str, default: int) -> int:
    """A positive integer setting; raise SettingsError naming it otherwise."""
    raw = env.get(name)  # type: ignore[attr-defined]
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a positive integer") from None
    if value <= 0:
        raise SettingsError(f"{name} must be a positive integer")
    return value


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number setting above zero; raise SettingsError (one line) otherwise."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole number above zero")
    return int(raw)


def _demo_secret(path: Path = DEMO_SECRET_FILE) -> str:
    """Return the demo secret kept in the working folder, creating it on first use."""
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def load_settings(*, demo: bool = False, environ: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment.

    Raise SettingsError when GUICHET_SECRET_KEY or GUICHET_WEBHOOK_SECRET is missing outside demo
    mode: a production deployment must never run on a generated or well-known secret.
    """
    env = os.environ if environ is None else environ
    demo = demo or _flag(env.get("GUICHET_DEMO"), False)
    secret_key = env.get("GUICHET_SECRET_KEY", "")
    webhook_secret = env.get("GUICHET_WEBHOOK_SECRET", "")
    if not secret_key:
        if not demo:
            raise SettingsError("GUICHET_SECRET_KEY is required (or run with --demo)")
        secret_key = _demo_secret()
    if not webhook_secret:
        if not demo:
            raise SettingsError("GUICHET_WEBHOOK_SECRET is required (or run with --demo)")
        webhook_secret = "dev-webhook-secret"
    profile = env.get("GUICHET_PASSWORD_HASH_PROFILE", "default")
    if profile not in {"default", "test"}:
        raise SettingsError("GUICHET_PASSWORD_HASH_PROFILE must be 'default' or 'test'")
    if profile == "test" and env.get("GUICHET_TESTING") != "1":
        # The cheapest argon2 parameters would make stolen hashes easy to crack (SEC-39).
        raise SettingsError("GUICHET_PASSWORD_HASH_PROFILE=test is for the test suite only (GUICHET_TESTING=1)")
    trusted = (env.get("GUICHET_TRUSTED_DOCUMENTS") or "off").strip().lower()
    if trusted not in TRUSTED_DOCUMENT_MODES:
        raise SettingsError("GUICHET_TRUSTED_DOCUMENTS must be 'off', 'log' or 'enforce'")
    log_format = (env.get("GUICHET_LOG_FORMAT") or "text").strip().lower()
    if log_format not in {"text", "json"}:
        raise SettingsError("GUICHET_LOG_FORMAT must be 'text' or 'json'")
    log_level = (env.get("GUICHET_LOG_LEVEL") or "INFO").strip().upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise SettingsError("GUICHET_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    settings = Settings(
        database_url=env.get("GUICHET_DATABASE_URL") or DEFAULT_DATABASE_URL,
        secret_key=secret_key,
        public_url=(env.get("GUICHET_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
        smtp_url=env.get("GUICHET_SMTP_URL") or None,
        mail_from=env.get("GUICHET_MAIL_FROM") or "no-reply@guichet.local",
        webhook_secret=webhook_secret,
        support_channels_file=env.get("GUICHET_SUPPORT_CHANNELS") or None,
        demo=demo,
        graphiql=_flag(env.get("GUICHET_GRAPHIQL"), True),
        introspection=_flag(env.get("GUICHET_INTROSPECTION"), True),
        fast_path=_flag(env.get("GUICHET_FASTPATH"), True),
        password_hash_profile=profile,
        redis_url=env.get("GUICHET_REDIS_URL") or None,
        forwarded_allow_ips=(env.get("GUICHET_FORWARDED_ALLOW_IPS") or "").strip(),
        log_format=log_format,
        log_level=log_level,
        bank_transfer_account=env.get("GUICHET_BANK_TRANSFER_ACCOUNT") or DEFAULT_BANK_TRANSFER_ACCOUNT,
        payment_expiry_seconds=_positive_int(env, "GUICHET_PAYMENT_EXPIRY_SECONDS", 30 * 60),
        bank_transfer_expiry_days=_positive_int(env, "GUICHET_BANK_TRANSFER_EXPIRY_DAYS", 7),
        operations_email=(env.get("GUICHET_OPERATIONS_EMAIL") or "").strip() or None,
        files_dir=env.get("GUICHET_FILES_DIR") or "./guichet-files",
        service_request_categories_file=env.get("GUICHET_SERVICE_REQUEST_CATEGORIES") or None,
        max_query_cost=_positive_int(env, "GUICHET_MAX_QUERY_COST", 1000),
        rate_capacity=_positive_int(env, "GUICHET_RATE_CAPACITY", 1000),
        rate_restore=float(_positive_int(env, "GUICHET_RATE_RESTORE", 50)),
        trusted_documents=trusted,
        request_timeout_seconds=float(_positive_int(env, "GUICHET_REQUEST_TIMEOUT", 10)),
        statement_timeout_seconds=float(_positive_int(env, "GUICHET_STATEMENT_TIMEOUT", 5)),
        webhook_allow_private=_flag(env.get("GUICHET_WEBHOOK_ALLOW_PRIVATE"), False),
    )
    if settings.support_channels_file:
        # Its content is checked when the app is built (guichet.domain.support.load_channels).
        try:
            os.stat(settings.support_channels_file)
        except OSError as error:
            path = settings.support_channels_file
            raise SettingsError(f"GUICHET_SUPPORT_CHANNELS: cannot read {path}: {error.strerror}") from None
    if settings.service_request_categories_file:
        # A malformed categories file stops start-up with one line too.
        from guichet.domain.service_requests.categories import load_file

        load_file(settings.service_request_categories_file)
    return settings


def database_url() -> str:
    """The configured database URL; commands that only touch the database need no secrets."""
    return os.environ.get("GUICHET_DATABASE_URL") or DEFAULT_DATABASE_URL
