"""Flask serves the built PWA at / (with an SPA fallback) and leaves the API alone."""
import pytest


@pytest.fixture
def dist(app, tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><div id=app></div>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (tmp_path / "manifest.webmanifest").write_text('{"name": "GridWarden"}')
    monkeypatch.setitem(app.config, "GW_PWA_DIST", str(tmp_path))
    return tmp_path


def test_app_routes_get_the_entry_page(client, dist):
    for path in ("/", "/facility", "/devices/17", "/login?redirect=/devices/17"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert b'<div id=app>' in r.data
        assert r.headers["Cache-Control"] == "no-cache"


def test_files_are_served_with_cache_headers(client, dist):
    r = client.get("/assets/index-abc123.js")
    assert r.status_code == 200 and "immutable" in r.headers["Cache-Control"]
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw.headers["Cache-Control"] == "no-cache"
    assert sw.headers["Service-Worker-Allowed"] == "/"
    assert client.get("/manifest.webmanifest").mimetype == "application/manifest+json"
    assert client.get("/assets/gone-old.js").status_code == 404     # no HTML for a missing file
    assert client.get("/../pyproject.toml").status_code == 404


def test_api_and_health_are_untouched(client, dist):
    assert client.get("/healthz").json == {"status": "ok"}
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.is_json and r.json["error"] == "not_found"
    assert client.get("/api/v1/sites").status_code == 401
    assert client.get("/api/openapi.json").status_code == 200


def test_nothing_is_served_without_a_build(client, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "GW_PWA_DIST", str(tmp_path / "missing"))
    r = client.get("/")
    assert r.status_code == 404 and r.is_json
    assert client.get("/healthz").status_code == 200
