"""Settings read from the environment, with defaults that make `make run` work.

Every secret comes from the environment. In sandbox mode the gateway settings fall
back to the gateways' published test values so a demo needs no configuration; in
production `check_production_settings` refuses to start with anything unsafe.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-insecure-change-me"  # noqa: S105 - refused in production

# Public test values from ../shared/gateways.md; used only in sandbox mode.
SANDBOX_DEFAULTS = {
    "ESEWA_PRODUCT_CODE": "EPAYTEST",
    "ESEWA_SECRET_KEY": "8gBm/:&EnhH.1/q",
    "KOMOJU_SECRET_KEY": "sk_test_sandbox",
    "KOMOJU_WEBHOOK_SECRET": "whsec_komoju_demo",
    "PAYSESSION_CLIENT_ID": "cf_test_client",
    "PAYSESSION_CLIENT_SECRET": "cfsk_demo_secret",
}

GATEWAY_SECRETS = (
    "ESEWA_SECRET_KEY",
    "KOMOJU_SECRET_KEY",
    "KOMOJU_WEBHOOK_SECRET",
    "PAYSESSION_CLIENT_SECRET",
)


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


def _int_list(name: str, default: list[int]) -> list[int]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [int(part) for part in raw.split(",") if part.strip()]


def load_config(instance_path: str) -> dict:
    """Build the settings mapping from the environment (and `.env`, loaded earlier)."""
    env = os.environ.get("APP_ENV", "development")
    instance = Path(instance_path)
    gateway_mode = os.environ.get("GATEWAY_MODE", "sandbox")
    # Gateway returns and webhooks come back here: it follows PORT (as `make
    # run` and honcho set it) unless given outright.
    port = os.environ.get("PORT") or "5000"
    public_base = (
        os.environ.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{port}"
    ).rstrip("/")
    cfg: dict = {
        "APP_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        # Signs offline check-in lists (app.checkin.offline); SECRET_KEY if unset.
        "CHECKIN_SIGNING_KEY": os.environ.get("CHECKIN_SIGNING_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'storefront.db'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "RQ_ASYNC": _bool(os.environ.get("RQ_ASYNC"), True),
        "GATEWAY_MODE": gateway_mode,
        "PUBLIC_BASE_URL": public_base,
        "ALLOWED_RETURN_HOSTS": [
            h.strip()
            for h in os.environ.get(
                "ALLOWED_RETURN_HOSTS", "example.com,127.0.0.1,localhost"
            ).split(",")
            if h.strip()
        ],
        "MAIL_URL": os.environ.get("MAIL_URL", f"file://{instance / 'mail'}"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Storefront <shop@storefront.test>"),
        # Zone for deadlines and order times when neither the user nor the
        # browser has told us theirs (an IANA name, e.g. Asia/Kathmandu).
        "DEFAULT_TIMEZONE": os.environ.get("DEFAULT_TIMEZONE", "UTC"),
        # Minutes an unpaid order (and its seat or ticket hold) lives, per method.
        "ORDER_TIMEOUT_MINUTES": _int("ORDER_TIMEOUT_MINUTES", 30),
        "PAYMENT_RETRY_BACKOFF": _int_list(
            "PAYMENT_RETRY_BACKOFF", [30, 120, 600, 1800, 3600]
        ),
        # Seconds between deliveries of a merchant's webhook that got no 2xx.
        "MERCHANT_WEBHOOK_BACKOFF": _int_list(
            "MERCHANT_WEBHOOK_BACKOFF", [120, 600, 1800, 7200, 43200]
        ),
        "OUTBOX_RETENTION_DAYS": _int("OUTBOX_RETENTION_DAYS", 7),
        "OUTBOX_MAINTENANCE_SECONDS": _int("OUTBOX_MAINTENANCE_SECONDS", 60),
        # An event younger than this is left to the after-commit relay.
        "OUTBOX_RELAY_GRACE_SECONDS": _int("OUTBOX_RELAY_GRACE_SECONDS", 5),
        "WORKER_MAINTENANCE_SECONDS": _int("WORKER_MAINTENANCE_SECONDS", 60),
        # Each worker's own tick (not a Redis job): relay the outbox, restore
        # the maintenance schedule; also the longest Redis-outage back-off.
        "WORKER_TICK_SECONDS": _int("WORKER_TICK_SECONDS", 5),
        "WORKER_TTL_SECONDS": _int("WORKER_TTL_SECONDS", 30),
        # `simple`: jobs run in the worker's own long-lived process (warm
        # connections and compiled SQL); `fork`: RQ's horse per job (nofork_worker.py).
        # Seconds a cached catalog fragment lives at most (app/page_cache.py);
        # a catalog change (a purchase's seat or stock too) ends it sooner. 0: off.
        "PAGE_CACHE_SECONDS": _int("PAGE_CACHE_SECONDS", 10),
        "WORKER_CLASS": os.environ.get("WORKER_CLASS", "simple"),
        # A running job's registry entry lives 3x this; a killed worker's job is
        # found abandoned (and retried) that long after its last beat.
        "WORKER_JOB_HEARTBEAT_SECONDS": _int("WORKER_JOB_HEARTBEAT_SECONDS", 10),
        "GATEWAY_TIMEOUT_SECONDS": float(
            os.environ.get("GATEWAY_TIMEOUT_SECONDS", "8")
        ),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 1024 * 1024),
        "RATELIMIT_ENABLED": _bool(os.environ.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # A Redis outage must not take checkout down with it: limits fall back
        # to per-process memory until Redis is back.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Wrong passwords one account takes from browsers that never signed in
        # to it, before those are refused for LOGIN_LOCK_SECONDS (issue #13).
        "LOGIN_FAILURES_PER_ACCOUNT": _int("LOGIN_FAILURES_PER_ACCOUNT", 10),
        "LOGIN_LOCK_SECONDS": _int("LOGIN_LOCK_SECONDS", 900),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "ESEWA_PRODUCT_CODE": os.environ.get("ESEWA_PRODUCT_CODE", ""),
        "ESEWA_SECRET_KEY": os.environ.get("ESEWA_SECRET_KEY", ""),
        "ESEWA_FORM_URL": os.environ.get("ESEWA_FORM_URL", ""),
        "ESEWA_STATUS_URL": os.environ.get("ESEWA_STATUS_URL", ""),
        "KOMOJU_API_BASE": os.environ.get("KOMOJU_API_BASE", ""),
        "KOMOJU_SECRET_KEY": os.environ.get("KOMOJU_SECRET_KEY", ""),
        "KOMOJU_WEBHOOK_SECRET": os.environ.get("KOMOJU_WEBHOOK_SECRET", ""),
        "KOMOJU_WEBHOOK_URL": os.environ.get("KOMOJU_WEBHOOK_URL", ""),
        "PAYSESSION_API_BASE": os.environ.get("PAYSESSION_API_BASE", ""),
        "PAYSESSION_CLIENT_ID": os.environ.get("PAYSESSION_CLIENT_ID", ""),
        "PAYSESSION_CLIENT_SECRET": os.environ.get("PAYSESSION_CLIENT_SECRET", ""),
        "PAYSESSION_CHECKOUT_URL": os.environ.get("PAYSESSION_CHECKOUT_URL", ""),
        # Webhooks signed longer ago than this (or this far in the future) are
        # refused as replays.
        "PAYSESSION_WEBHOOK_TOLERANCE_SECONDS": _int(
            "PAYSESSION_WEBHOOK_TOLERANCE_SECONDS", 300
        ),
    }
    if gateway_mode == "sandbox" and env != "production":
        for key, value in SANDBOX_DEFAULTS.items():
            cfg[key] = cfg[key] or value
    return cfg


def gateway_url(cfg, key: str) -> str:
    """An explicit gateway URL from the environment, or the sandbox/live default.

    Read at call time, not at start-up, so a test that moves PUBLIC_BASE_URL after
    creating the app gets sandbox URLs that match.
    """
    if cfg.get(key):
        return cfg[key]
    base = cfg["PUBLIC_BASE_URL"]
    sandbox = f"{base}/_sandbox"
    if cfg["GATEWAY_MODE"] == "sandbox":
        defaults = {
            "ESEWA_FORM_URL": f"{sandbox}/esewa/api/epay/main/v2/form",
            "ESEWA_STATUS_URL": f"{sandbox}/esewa/api/epay/transaction/status/",
            "KOMOJU_API_BASE": f"{sandbox}/komoju/api/v1",
            "KOMOJU_WEBHOOK_URL": f"{base}/api/payments/webhooks/komoju",
            "PAYSESSION_API_BASE": f"{sandbox}/paysession/pg",
            "PAYSESSION_CHECKOUT_URL": f"{sandbox}/paysession/checkout",
        }
    else:
        defaults = {
            "ESEWA_FORM_URL": "https://epay.esewa.com.np/api/epay/main/v2/form",
            "ESEWA_STATUS_URL": "https://epay.esewa.com.np/api/epay/transaction/status/",
            "KOMOJU_API_BASE": "https://komoju.com/api/v1",
            "KOMOJU_WEBHOOK_URL": f"{base}/api/payments/webhooks/komoju",
            "PAYSESSION_API_BASE": "https://api.cashfree.com/pg",
            "PAYSESSION_CHECKOUT_URL": "https://sdk.cashfree.com/js/v3/cashfree.js",
        }
    return defaults[key]


class UnsafeConfiguration(RuntimeError):
    """Raised at start-up when production settings would be unsafe."""


def check_production_settings(cfg: dict) -> None:
    """Refuse to start in production with a default secret, the sandbox or no keys."""
    if cfg["APP_ENV"] != "production":
        return
    problems = []
    if cfg["SECRET_KEY"] in ("", DEFAULT_SECRET_KEY) or len(cfg["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY is the default or shorter than 32 characters")
    if cfg["GATEWAY_MODE"] != "live":
        problems.append("GATEWAY_MODE must be 'live' in production (sandbox is on)")
    for key in GATEWAY_SECRETS + ("ESEWA_PRODUCT_CODE", "PAYSESSION_CLIENT_ID"):
        if not cfg.get(key):
            problems.append(f"{key} is not set")
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL in production")
    if not cfg["REDIS_URL"]:
        problems.append("REDIS_URL must be set in production")
    if not cfg["PUBLIC_BASE_URL"].startswith("https://"):
        problems.append("PUBLIC_BASE_URL must be https in production")
    if problems:
        raise UnsafeConfiguration(
            "Refusing to start in production: " + "; ".join(problems)
        )
