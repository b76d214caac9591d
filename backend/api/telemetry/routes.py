"""Latest values, history and communication status of devices (scoped to your sites)."""
from __future__ import annotations

import json
import math

from flask import Response
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.pagination import SQLPage
from backend.api.telemetry.schemas import (
    DeviceLatestSchema,
    DeviceStatusQueryArgsSchema,
    DeviceStatusSchema,
    HistoryArgsSchema,
    HistorySchema,
    LatestArgsSchema,
    LatestListArgsSchema,
)
from backend.extensions import db
from backend.models import Role
from backend.telemetry import query, status

blp = Blueprint("telemetry", __name__, url_prefix="/api/v1",
                description="Latest values, history and online status of devices")


class RowsPage(SQLPage):
    """SQLPage over a multi-column select: items are row mappings."""

    @property
    def items(self):
        p = self.page_params
        return db.session.execute(self.collection.offset(p.first_item)
                                  .limit(p.page_size)).mappings().all()


def _json_page(body: bytes, total: int, args: dict) -> Response:
    """A pre-serialised JSON array with flask-smorest's X-Pagination header."""
    page, size = args["page"], args["page_size"]
    pages = max(math.ceil(total / size), 1) if total else 0
    info = {"total": total, "total_pages": pages}
    if pages:
        info.update(first_page=1, last_page=pages, page=page)
        if page > 1:
            info["previous_page"] = min(page - 1, pages)
        if page < pages:
            info["next_page"] = page + 1
    return Response(body, mimetype="application/json",
                    headers={"X-Pagination": json.dumps(info)})


def _window(args: dict) -> tuple[int, int]:
    return (args["page"] - 1) * args["page_size"], args["page_size"]


@blp.route("/devices/<int:device_id>/latest")
class DeviceLatest(MethodView):
    @access(Role.staff)
    @blp.arguments(LatestArgsSchema, location="query")
    @blp.response(200, DeviceLatestSchema)
    def get(self, args, device_id):
        """Latest value of each metric of a device, with its online status"""
        return query.device_latest(current_actor(), device_id, args.get("metrics"))


@blp.route("/circuits/<int:circuit_id>/latest")
class CircuitLatest(MethodView):
    @access(Role.staff)
    @blp.arguments(LatestListArgsSchema, location="query")
    @blp.response(200, DeviceLatestSchema(many=True))
    def get(self, args, circuit_id):
        """Latest values of every device on a circuit and everything downstream of it

        Downstream: child circuits, and the circuits of boards fed by any of them,
        recursively (the same tree as the site topology). Paginated: page, page_size
        (default 500, max 5000); the X-Pagination header carries the totals. """
        total, body = query.circuit_latest(current_actor(), circuit_id,
                                               args.get("metrics"), *_window(args))
        return _json_page(body, total, args)


@blp.route("/sites/<int:site_id>/latest")
class SiteLatest(MethodView):
    @access(Role.staff)
    @blp.arguments(LatestListArgsSchema, location="query")
    @blp.response(200, DeviceLatestSchema(many=True))
    def get(self, args, site_id):
        """Latest values of every device of a site

        One SQL query and one Redis MGET per page, whatever the page size. Paginated:
        page, page_size (default 500, max 5000); the X-Pagination header carries the
        totals. """
        total, body = query.site_latest(current_actor(), site_id, args.get("metrics"),
                                            *_window(args))
        return _json_page(body, total, args)


@blp.route("/devices/<int:device_id>/history")
class DeviceHistory(MethodView):
    @access(Role.staff)
    @blp.arguments(HistoryArgsSchema, location="query")
    @blp.response(200, HistorySchema)
    def get(self, args, device_id):
        """History of a device's metrics in time buckets (raw, 1m, 15m, 1h, 1d)

        Without ``bucket`` the bucket is chosen from the range (at most ~500 points).
        Aggregates (avg/min/max) use good readings only (quality 0); raw points carry
        their quality. Day buckets follow the site's time zone. Without ``metrics``:
        every metric the device currently reports. """
        return query.history(current_actor(), device_id, args)


@blp.route("/devices/<int:device_id>/status")
class DeviceStatusById(MethodView):
    @access(Role.staff)
    @blp.response(200, DeviceStatusSchema)
    def get(self, device_id):
        """Communication status of a device: online, last seen, consecutive failures"""
        return status.device_status(current_actor(), device_id)


@blp.route("/device-status")
class DeviceStatuses(MethodView):
    @access(Role.staff)
    @blp.arguments(DeviceStatusQueryArgsSchema, location="query")
    @blp.response(200, DeviceStatusSchema(many=True))
    @blp.paginate(RowsPage)
    def get(self, args):
        """Communication status of every device of your sites (filter: site_id, online)"""
        return status.select_statuses(current_actor(), args)
