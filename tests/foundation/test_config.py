import psutil
import pytest

from app import redis_conn
from app.config import UnsafeConfiguration, check_production_settings, load_config


def _prod(tmp_path, monkeypatch, **env):
    for key in (
        "SECRET_KEY",
        "GATEWAY_MODE",
        "DATABASE_URL",
        "REDIS_URL",
        "PUBLIC_BASE_URL",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return load_config(str(tmp_path))


def test_production_refuses_defaults_and_names_each_problem(tmp_path, monkeypatch):
    cfg = _prod(tmp_path, monkeypatch)
    with pytest.raises(UnsafeConfiguration) as err:
        check_production_settings(cfg)
    message = str(err.value)
    assert "SECRET_KEY" in message
    assert "GATEWAY_MODE" in message
    assert "ESEWA_SECRET_KEY" in message


def test_production_accepts_safe_settings(tmp_path, monkeypatch):
    cfg = _prod(
        tmp_path,
        monkeypatch,
        SECRET_KEY="x" * 40,
        GATEWAY_MODE="live",
        DATABASE_URL="postgresql+psycopg://db/shop",
        REDIS_URL="redis://cache:6379/0",
        PUBLIC_BASE_URL="https://shop.example.com",
        ESEWA_PRODUCT_CODE="CODE",
        ESEWA_SECRET_KEY="k",
        KOMOJU_SECRET_KEY="k",
        KOMOJU_WEBHOOK_SECRET="k",
        PAYSESSION_CLIENT_ID="id",
        PAYSESSION_CLIENT_SECRET="k",
    )
    check_production_settings(cfg)


def test_production_refuses_missing_gateway_secret(tmp_path, monkeypatch):
    cfg = _prod(
        tmp_path,
        monkeypatch,
        SECRET_KEY="x" * 40,
        GATEWAY_MODE="live",
        DATABASE_URL="postgresql+psycopg://db/shop",
        REDIS_URL="redis://cache:6379/0",
        PUBLIC_BASE_URL="https://shop.example.com",
        ESEWA_PRODUCT_CODE="CODE",
        ESEWA_SECRET_KEY="k",
        KOMOJU_SECRET_KEY="k",
        PAYSESSION_CLIENT_ID="id",
        PAYSESSION_CLIENT_SECRET="k",
    )
    with pytest.raises(UnsafeConfiguration, match="KOMOJU_WEBHOOK_SECRET"):
        check_production_settings(cfg)


def test_sandbox_defaults_to_public_test_values(tmp_path, monkeypatch):
    monkeypatch.delenv("ESEWA_SECRET_KEY", raising=False)
    monkeypatch.setenv("GATEWAY_MODE", "sandbox")
    cfg = load_config(str(tmp_path))
    assert cfg["ESEWA_PRODUCT_CODE"] == "EPAYTEST"
    assert cfg["ESEWA_SECRET_KEY"] == "8gBm/:&EnhH.1/q"


def test_public_base_url_follows_port_unless_set(tmp_path, monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "5642")
    assert load_config(str(tmp_path))["PUBLIC_BASE_URL"] == "http://127.0.0.1:5642"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://shop.example.com/")
    assert load_config(str(tmp_path))["PUBLIC_BASE_URL"] == "https://shop.example.com"
    monkeypatch.delenv("PORT")
    monkeypatch.delenv("PUBLIC_BASE_URL")
    assert load_config(str(tmp_path))["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


def test_the_embedded_redis_stops_with_its_owner(tmp_path):
    """`make run` stops the embedded Redis it started (Redis 6.2 refuses
    SHUTDOWN NOW FORCE, which left it running before)."""
    client = redis_conn.connect("", str(tmp_path))
    assert client.ping()
    [server] = redis_conn._embedded_servers.values()
    pid = server.pid
    redis_conn.shutdown_embedded()
    process = psutil.Process(pid) if psutil.pid_exists(pid) else None
    if process is not None:
        process.wait(timeout=10)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
