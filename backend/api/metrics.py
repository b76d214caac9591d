"""``GET /metrics``: the Prometheus text exposition of every process (backend/metrics.py),
plus what is read at scrape time from PostgreSQL and Redis: devices offline, RQ queue
depths, the notification outbox backlog.

Who may scrape: with ``GW_METRICS_TOKEN`` set, a request with
``Authorization: Bearer <token>`` (none: 401 ``metrics_token_required``; another token:
403 ``metrics_token_invalid``); without it, only a client on the loopback address (else
403 ``metrics_loopback_only``). Outside the versioned API, like /healthz.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging

from flask import Blueprint, Response, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select, text

from backend import metrics
from backend.errors import Forbidden, Unauthorized
from backend.extensions import db, redis
from backend.jobs import QUEUES
from backend.models import Device, DeviceStatus, Notification

log = logging.getLogger(__name__)
metrics_bp = Blueprint("metrics", __name__)
BACKLOG_STATES = ("pending", "sending")


def _is_loopback(addr: str | None) -> bool:
    try:
        return ipaddress.ip_address((addr or "").split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _check_access() -> None:
    token = current_app.config["GW_SETTINGS"].metrics_token
    if not token:
        if not _is_loopback(request.remote_addr):
            raise Forbidden("/metrics answers only on the loopback address unless "
                            "GW_METRICS_TOKEN is set", error="metrics_loopback_only")
        return
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized("/metrics needs Authorization: Bearer <GW_METRICS_TOKEN>",
                           error="metrics_token_required",
                           headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Forbidden("the metrics token is not the configured one",
                        error="metrics_token_invalid")


class StoreCollector:
    """Gauges read at scrape time: the same numbers whichever process answers."""

    def collect(self):
        offline = GaugeMetricFamily(metrics.PREFIX + "devices_offline",
                                    "Enabled devices currently offline")
        online = GaugeMetricFamily(metrics.PREFIX + "devices_online",
                                   "Enabled devices currently online")
        by_state = dict(db.session.execute(
            select(DeviceStatus.online, func.count()).join(
                Device, Device.id == DeviceStatus.device_id)
            .where(Device.enabled).group_by(DeviceStatus.online)).all())
        offline.add_metric([], by_state.get(False, 0))
        online.add_metric([], by_state.get(True, 0))
        backlog = GaugeMetricFamily(metrics.PREFIX + "outbox_backlog",
                                    "Notifications waiting to be delivered, by status",
                                    labels=["status"])
        counts = dict(db.session.execute(
            select(Notification.status, func.count()).where(
                Notification.status.in_(BACKLOG_STATES)).group_by(Notification.status)).all())
        for status in BACKLOG_STATES:
            backlog.add_metric([status], counts.get(status, 0))
        uplink = self._uplink()
        db.session.remove()
        depth = GaugeMetricFamily(metrics.PREFIX + "queue_depth",
                                  "Jobs waiting in each RQ queue", labels=["queue"])
        client = redis.current()
        pipe = client.pipeline(transaction=False)
        for q in QUEUES:
            pipe.llen(f"rq:queue:{q}")
        for q, n in zip(QUEUES, pipe.execute()):
            depth.add_metric([q], n)
        return [offline, online, backlog, depth, *uplink]

    @staticmethod
    def _uplink():
        """The site box's outbox (docs/sitelink.md): rows the centre has not acknowledged,
        the oldest one's age; at the centre, each site's watermark."""
        rows, oldest = db.session.execute(text(
            "SELECT count(*), extract(epoch FROM now() - min(created_at)) FROM uplink_outbox "
            "WHERE acked_at IS NULL")).one()
        backlog = GaugeMetricFamily(metrics.PREFIX + "uplink_backlog",
                                    "Site box: outbox rows the centre has not acknowledged")
        backlog.add_metric([], rows)
        age = GaugeMetricFamily(metrics.PREFIX + "uplink_oldest_unsent_seconds",
                                "Site box: age of the oldest unacknowledged outbox row")
        age.add_metric([], float(oldest or 0))
        marks = GaugeMetricFamily(metrics.PREFIX + "uplink_watermark",
                                  "Centre: highest contiguous seq stored per site",
                                  labels=["site"])
        for code, mark in db.session.execute(text(
                "SELECT s.code, u.watermark FROM site_uplinks u JOIN sites s "
                "ON s.id = u.site_id")).all():
            marks.add_metric([code], mark)
        return [backlog, age, marks]


@metrics_bp.get("/metrics")
def scrape():
    """Every GridWarden metric in the Prometheus text format."""
    _check_access()
    path = metrics.multiprocess_dir()
    if path:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=path)
    else:                       # one process (tests, a bare `flask run`): its own values
        registry = CollectorRegistry()
        registry.register(_Own())
    registry.register(StoreCollector())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class _Own:
    """This process's GridWarden metrics from the default registry (no multiprocess dir)."""

    def collect(self):
        for family in REGISTRY.collect():
            if family.name.startswith(metrics.PREFIX):
                yield family
