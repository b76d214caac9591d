"""Liveness and readiness, outside the versioned API and without authentication."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from backend.extensions import db, redis

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


@health_bp.get("/readyz")
def readyz():
    """PostgreSQL and Redis answer."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["postgresql"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report any failure as not ready
        checks["postgresql"] = f"error: {type(exc).__name__}"
    finally:
        db.session.remove()
    try:
        redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503
