"""The built PWA (``pwa/dist``) served at ``/`` in production, with an SPA fallback.

Only when the build exists (``make run`` builds it); ``/api/...``, ``/healthz`` and
``/readyz`` keep their own routes (more specific rules win in Flask's router, and any
unknown ``/api/`` path stays a JSON 404). Hashed assets are cached for a year; the
entry page, the service worker and the manifest are revalidated on every load so a new
build reaches users at once.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

DEFAULT_DIST = Path(__file__).resolve().parent.parent / "pwa" / "dist"
NO_FALLBACK_PREFIXES = ("api/", "api", "healthz", "readyz")
REVALIDATE = {"index.html", "sw.js", "manifest.webmanifest", "registerSW.js"}

web_bp = Blueprint("web", __name__)


def dist_dir() -> Path:
    return Path(current_app.config.get("GW_PWA_DIST") or DEFAULT_DIST)


def _send(dist: Path, name: str):
    mimetype = "application/manifest+json" if name.endswith(".webmanifest") else None
    response = send_from_directory(dist, name, mimetype=mimetype)
    if name.startswith("assets/"):
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    elif name in REVALIDATE or name.startswith("workbox-"):
        response.headers["Cache-Control"] = "no-cache"
    if name == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/"
    return response


@web_bp.get("/", defaults={"path": ""})
@web_bp.get("/<path:path>")
def pwa(path: str):
    """A file of the build, else (for app routes) its ``index.html``."""
    if path.startswith(NO_FALLBACK_PREFIXES):
        abort(404)
    dist = dist_dir()
    if not (dist / "index.html").is_file():
        abort(404)
    if path and (dist / path).is_file():
        return _send(dist, path)
    last = path.rsplit("/", 1)[-1]
    if "." in last:          # a missing file (an old asset), not an app route
        abort(404)
    return _send(dist, "index.html")
