"""``GET /api/v1/stream``: live events of your sites as Server-Sent Events."""
from __future__ import annotations

import marshmallow as ma
from flask import Response, request, stream_with_context
from flask.views import MethodView
from flask_jwt_extended import get_jwt
from marshmallow import validate

from backend.accounts import tickets
from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.errors import Unauthorized
from backend.live import stream
from backend.models import Role
from backend.schemas import POSITIVE_ID, Integer, Strict, String

blp = Blueprint("stream", __name__, url_prefix="/api/v1/stream",
                description="Live events (readings, device status; alarms and command "
                            "results as they land) as Server-Sent Events")


class StreamArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID, metadata={
        "description": "Only this site (default: every site granted to you)"})
    ticket = String(load_only=True, validate=validate.Length(max=128), metadata={
        "description": "A single-use ticket from ``POST /api/v1/stream/ticket``, for "
                       "browsers' EventSource, which cannot send an Authorization header. "
                       "``access_token`` in the URL is refused (URLs reach logs)."})
    last_event_id = String(validate=[validate.Length(max=31),
                                     validate.Regexp(stream.EVENT_ID_RE)], metadata={
        "description": "Resume after this event id, for clients that cannot send the "
                       "Last-Event-ID header (e.g. a new EventSource after a token refresh)"})


class EventSchema(Strict):
    id = ma.fields.String()
    type = ma.fields.String()
    data = ma.fields.Raw()


class PollSchema(Strict):
    events = ma.fields.List(ma.fields.Nested(EventSchema))
    last_event_id = ma.fields.String()


class TicketSchema(Strict):
    ticket = ma.fields.String()
    expires_in = ma.fields.Integer(metadata={"description": "Seconds it stays usable"})


@blp.before_request
def _token_from_ticket():
    """EventSource cannot set headers: ``?ticket=`` stands for the Bearer token, once.

    Runs before the view, so ``@access`` verifies the token exactly like a header one.
    A token in the URL is refused: it would reach access logs."""
    if "access_token" in request.args:
        raise Unauthorized("access_token in the URL is refused (URLs reach logs): use "
                           "POST /api/v1/stream/ticket and ?ticket=", error="token_in_url")
    ticket = request.args.get("ticket")
    if ticket is not None and request.method == "GET":
        token = tickets.redeem(ticket)
        if token is None:
            raise Unauthorized("Unknown, expired or already used stream ticket",
                               error="stream_ticket_invalid")
        if "HTTP_AUTHORIZATION" not in request.environ:
            request.environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"


def _wants_event_stream() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/event-stream"])
    return best == "text/event-stream"


@blp.route("")
class Stream(MethodView):
    @access(Role.staff)
    @blp.arguments(StreamArgsSchema, location="query")
    @blp.response(200, PollSchema)
    @blp.alt_response(401, description="No valid token; ``stream_ticket_invalid`` (unknown, "
                                       "expired or used ticket); ``token_in_url``")
    def get(self, args):
        """Live events of your sites

        With ``Accept: text/event-stream`` (what EventSource sends): a Server-Sent Events
        stream. Each event has ``id`` (resume point), ``event`` (``reading``,
        ``device_status``, later ``alarm``, ``command``, ... and ``end`` just before the
        server closes: token expired or revoked, maximum duration) and ``data`` (JSON with
        ``site_id``). A comment line is sent every ~15 s when nothing happens. Send the
        last id back in ``Last-Event-ID`` (EventSource does so when it reconnects) or
        ``?last_event_id=`` to receive what you missed, then live events.
        Authentication: the Authorization header, or ``?ticket=`` (single use, from
        ``POST /api/v1/stream/ticket``) for EventSource.
        Each server process holds a bounded number of streams: beyond it, 503
        ``too_many_streams`` with Retry-After.

        Otherwise (JSON, for clients that poll): the events after ``last_event_id``
        (none without it) and the id to ask from next time. """
        actor = current_actor()
        last_id = request.headers.get("Last-Event-ID") or args.get("last_event_id")
        if not _wants_event_stream():
            return stream.poll_events(actor, args.get("site_id"), last_id)
        body, release = stream.open_stream(actor, args.get("site_id"), last_id, get_jwt(),
                                           request.environ)
        response = Response(stream_with_context(body), mimetype="text/event-stream",
                            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        response.call_on_close(release)
        return response


@blp.route("/ticket")
class StreamTicket(MethodView):
    @access(Role.staff)
    @blp.response(201, TicketSchema)
    def post(self):
        """A single-use ticket for one stream connection (``?ticket=``), valid 30 s

        Ask for a new one before each (re)connection: the stream runs under the access
        token this request was made with, and ends when it expires."""
        return tickets.issue(request.headers["Authorization"].split(None, 1)[1])
