"""``GET /api/v1/stream``: live events of your sites as Server-Sent Events."""
from __future__ import annotations

import marshmallow as ma
from flask import Response, request, stream_with_context
from flask.views import MethodView
from flask_jwt_extended import get_jwt
from marshmallow import validate

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.live import stream
from backend.models import Role
from backend.schemas import POSITIVE_ID, Integer, Strict, String

blp = Blueprint("stream", __name__, url_prefix="/api/v1/stream",
                description="Live events (readings, device status; alarms and command "
                            "results as they land) as Server-Sent Events")


class StreamArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID, metadata={
        "description": "Only this site (default: every site granted to you)"})
    access_token = String(load_only=True, validate=validate.Length(max=4096), metadata={
        "description": "The access token, for browsers' EventSource, which cannot send an "
                       "Authorization header. Prefer the header where possible: URLs may "
                       "end up in logs (access tokens live 15 minutes)."})
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


@blp.before_request
def _token_from_query():
    """EventSource cannot set headers: accept ``?access_token=`` as the Bearer token.

    Runs before the view, so ``@access`` verifies it exactly like a header token."""
    token = request.args.get("access_token")
    if token and "HTTP_AUTHORIZATION" not in request.environ:
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"


def _wants_event_stream() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/event-stream"])
    return best == "text/event-stream"


@blp.route("")
class Stream(MethodView):
    @access(Role.staff)
    @blp.arguments(StreamArgsSchema, location="query")
    @blp.response(200, PollSchema)
    def get(self, args):
        """Live events of your sites

        With ``Accept: text/event-stream`` (what EventSource sends): a Server-Sent Events
        stream. Each event has ``id`` (resume point), ``event`` (``reading``,
        ``device_status``, later ``alarm``, ``command``, ... and ``end`` just before the
        server closes: token expired or revoked, maximum duration) and ``data`` (JSON with
        ``site_id``). A comment line is sent every ~15 s when nothing happens. Send the
        last id back in ``Last-Event-ID`` (EventSource does so when it reconnects) or
        ``?last_event_id=`` to receive what you missed, then live events.
        Authentication: the Authorization header, or ``?access_token=`` for EventSource.
        Each server process holds a bounded number of streams: beyond it, 503
        ``too_many_streams`` with Retry-After.

        Otherwise (JSON, for clients that poll): the events after ``last_event_id``
        (none without it) and the id to ask from next time. """
        actor = current_actor()
        last_id = request.headers.get("Last-Event-ID") or args.get("last_event_id")
        if not _wants_event_stream():
            return stream.poll_events(actor, args.get("site_id"), last_id)
        body, release = stream.open_stream(actor, args.get("site_id"), last_id, get_jwt())
        response = Response(stream_with_context(body), mimetype="text/event-stream",
                            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        response.call_on_close(release)
        return response
