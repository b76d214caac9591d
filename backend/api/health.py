"""Liveness and readiness, outside the versioned API and without authentication."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from backend import liveness
from backend.extensions import db, redis

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


@health_bp.get("/readyz")
def readyz():
    """PostgreSQL and Redis answer (else 503); ``parts``: how long ago each poll shard
    finished a cycle, the cron scheduler beat and a general worker ran the heartbeat job.
    A stale part makes ``status`` "degraded" (still 200: this process can serve)."""
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
    if not ready:
        return jsonify(status="unavailable", checks=checks), 503
    parts = liveness.report(redis.current(), redis.raw(), current_app.config["GW_SETTINGS"])
    return jsonify(status="ok" if parts.pop("ok") else "degraded", checks=checks,
                   parts=parts), 200
