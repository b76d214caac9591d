"""Cross-cutting platform behaviour: config, health, docs offline, CLI bootstrap."""
import re
import shutil
import subprocess
import threading

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from backend import create_app
from backend.cli import main as cli
from backend.config import ConfigError, Settings


def test_production_requires_a_secret():
    with pytest.raises(ConfigError, match="GW_SECRET_KEY"):
        Settings.from_env({"GW_ENV": "production"})
    with pytest.raises(ConfigError, match="GW_SECRET_KEY"):
        Settings.from_env({"GW_ENV": "production", "GW_SECRET_KEY": "short"})
    s = Settings.from_env({"GW_ENV": "production", "GW_SECRET_KEY": "k" * 40})
    assert s.secret_key == "k" * 40 and s.jwt_secret_key == "k" * 40


def test_bad_settings_name_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="GW_HTTP_PORT"):
        Settings.from_env({"GW_HTTP_PORT": "eighty", "GW_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigError, match="GW_ENV"):
        Settings.from_env({"GW_ENV": "staging"})


def test_dev_secret_is_generated_once_per_data_dir(tmp_path):
    a = Settings.from_env({"GW_DATA_DIR": str(tmp_path)})
    b = Settings.from_env({"GW_DATA_DIR": str(tmp_path)})
    assert a.secret_key == b.secret_key and len(a.secret_key) >= 32
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o777 == 0o600


def test_health_and_ready(client):
    assert client.get("/healthz").json == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json["checks"] == {"postgresql": "ok", "redis": "ok"}


def test_ready_is_503_when_redis_is_gone(settings):
    app = create_app(settings, redis_url="redis://127.0.0.1:1/0")
    r = app.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.json["checks"]["postgresql"] == "ok" and r.json["checks"]["redis"].startswith("error")


def test_openapi_document(client):
    spec = client.get("/api/openapi.json").json
    assert spec["info"]["title"] == "GridWarden API"
    assert "/api/v1/sites/{site_id}/topology" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_docs_page_loads_nothing_from_the_internet(client):
    html = client.get("/api/docs").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, html
    for url in urls:
        assert not url.startswith(("http:", "https:", "//")), url
        assert client.get(url).status_code == 200, url


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_docs_render_in_chromium_with_the_network_cut(app, tmp_path):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/api/docs"
        out = subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-quic", f"--user-data-dir={tmp_path / 'profile'}",
             # every host name but our loopback server fails to resolve: no internet
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--virtual-time-budget=15000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    dom = out.stdout
    assert "swagger-ui" in dom, out.stderr[-2000:]
    assert "GridWarden API" in dom          # the spec was fetched and rendered
    assert "opblock-tag" in dom             # operations grouped by tag are on the page
    assert "/api/v1/auth/login" in dom


def test_create_admin_cli_then_login(urls, client, app, tmp_path):
    env = {"DATABASE_URL": urls["database_url"], "REDIS_URL": urls["redis_url"],
           "GW_DATA_DIR": str(tmp_path), "GW_ENV": "test"}
    runner = CliRunner()
    r = runner.invoke(cli, ["create-admin", "--username", "root", "--password-stdin"],
                      input="a-strong-password\n", env=env)
    assert r.exit_code == 0, r.output
    assert "root" in r.output
    again = runner.invoke(cli, ["create-admin", "--username", "root", "--password-stdin"],
                          input="a-strong-password\n", env=env)
    assert again.exit_code != 0 and "taken" in again.output
    weak = runner.invoke(cli, ["create-admin", "--username", "x2"],
                         env={**env, "GW_ADMIN_PASSWORD": "short"})
    assert weak.exit_code != 0 and "at least" in weak.output
    none = runner.invoke(cli, ["create-admin", "--username", "x3"], env=env)
    assert none.exit_code != 0 and "password" in none.output
    r = client.post("/api/v1/auth/login", json={"username": "root",
                                                "password": "a-strong-password"})
    assert r.status_code == 200 and r.json["user"]["is_superadmin"] is True


def test_unexpected_error_is_a_500_in_the_error_shape_without_a_trace(client, root, monkeypatch):
    from backend.facility import sites

    def boom(*_a, **_k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(sites, "select_sites", boom)
    r = client.get("/api/v1/sites", headers=root)
    assert r.status_code == 500
    assert r.json["error"] == "internal_error" and r.json["code"] == 500
    assert "secret internals" not in r.get_data(as_text=True)
    assert "Traceback" not in r.get_data(as_text=True)
