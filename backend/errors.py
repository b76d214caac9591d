"""Domain errors and their one HTTP shape.

Every error response is flask-smorest's ``{code, status, message, errors}`` plus
``error``: a stable machine-readable code (``validation_error``, ``not_found``,
``conflict``, ...). Clients switch on ``error``; ``message`` is for people.
"""
from __future__ import annotations

import logging

import marshmallow as ma
import redis as redis_lib
from flask_smorest import Api
from flask_smorest.error_handler import ErrorSchema as _SmorestErrorSchema
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

log = logging.getLogger(__name__)

# HTTP status -> default machine-readable code
DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "too_many_requests",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "unavailable",
}


class ErrorSchema(_SmorestErrorSchema):
    error = ma.fields.String(metadata={"description": "Stable machine-readable error code"})
    message_zh = ma.fields.String(metadata={
        "description": "The reason in Chinese, where the API gives one (control refusals)"})


class DomainError(Exception):
    """Raised by services; turned into an HTTP response by the API."""

    status = 400
    error = "bad_request"

    def __init__(self, message: str, *, errors: dict | None = None, error: str | None = None,
                 headers: dict | None = None, message_zh: str | None = None):
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.errors = errors
        self.headers = headers or {}
        if error:
            self.error = error


class ValidationFailed(DomainError):
    """A value is well-formed but not acceptable; ``errors`` names the field(s)."""

    status = 422
    error = "validation_error"


def invalid_field(field: str, message: str, error: str = "validation_error"):
    """Raise the 422 that names one field: ``{field: [message]}``, message "field: ..."."""
    raise ValidationFailed(f"{field}: {message}", errors={field: [message]}, error=error)


class NotFound(DomainError):
    status = 404
    error = "not_found"


class Forbidden(DomainError):
    status = 403
    error = "forbidden"


class Unauthorized(DomainError):
    status = 401
    error = "unauthorized"


class Conflict(DomainError):
    status = 409
    error = "conflict"


class PayloadTooLarge(DomainError):
    status = 413
    error = "payload_too_large"


class Unavailable(DomainError):
    """Not now: the client may retry (``Retry-After``)."""

    status = 503
    error = "unavailable"


class TooManyRequests(DomainError):
    status = 429
    error = "too_many_requests"


def error_payload(status: int, message: str, *, error: str | None = None,
                  errors: dict | None = None) -> dict:
    payload = {
        "code": status,
        "status": HTTP_STATUS_CODES.get(status, "Error"),
        "error": error or DEFAULT_CODES.get(status, "error"),
        "message": message,
    }
    if errors:
        payload["errors"] = errors
    return payload


RETRY_AFTER = "5"    # seconds, on a 503 for a store that is down


class GridWardenApi(Api):
    """flask-smorest Api whose errors always carry ``error`` and never a traceback."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        super()._register_error_handlers()
        app = self._app
        app.register_error_handler(DomainError, self.handle_domain_error)
        app.register_error_handler(IntegrityError, self.handle_integrity_error)
        app.register_error_handler(DBAPIError, self.handle_db_error)
        app.register_error_handler(redis_lib.RedisError, self.handle_redis_error)
        app.register_error_handler(Exception, self.handle_unexpected)

    def handle_http_exception(self, error):
        payload, status, headers = super().handle_http_exception(error)
        data = getattr(error, "data", None) or {}
        payload["error"] = data.get("error") or DEFAULT_CODES.get(status, "error")
        if "message" not in payload:
            payload["message"] = _default_message(status, error)
        if status == 422 and "errors" in payload:
            payload["errors"] = _flatten_location(payload["errors"])
            if "message" not in data:
                payload["message"] = _invalid_input(payload["errors"])
        return payload, status, headers

    def handle_domain_error(self, exc: DomainError):
        _rollback()
        payload = error_payload(exc.status, exc.message, error=exc.error, errors=exc.errors)
        if exc.message_zh:
            payload["message_zh"] = exc.message_zh
        payload.update(getattr(exc, "extra", None) or {})   # e.g. the uplink's seq, watermark
        return payload, exc.status, exc.headers

    def handle_integrity_error(self, exc: IntegrityError):
        _rollback()
        detail = str(getattr(exc.orig, "diag", None) and exc.orig.diag.message_detail or "")
        log.info("integrity error: %s", exc.orig)
        return error_payload(409, "Conflicts with existing data" + (f": {detail}" if detail else ""),
                             error="conflict"), 409

    def handle_db_error(self, exc: DBAPIError):
        _rollback()
        log.exception("database error")
        return error_payload(503, "The database is unavailable or refused the request",
                             error="database_error"), 503, {"Retry-After": RETRY_AFTER}

    def handle_redis_error(self, exc: redis_lib.RedisError):
        """Redis down or hung (the client's socket timeout): the service is unavailable,
        not broken; clients retry after a pause."""
        _rollback()
        log.warning("redis unavailable: %s: %s", type(exc).__name__, exc)
        return error_payload(503, "The live data store (Redis) is unavailable; retry shortly",
                             error="redis_unavailable"), 503, {"Retry-After": RETRY_AFTER}

    def handle_unexpected(self, exc: Exception):
        if isinstance(exc, HTTPException):
            return self.handle_http_exception(exc)
        _rollback()
        log.exception("unhandled error")
        return self.handle_http_exception(InternalServerError())


def _default_message(status: int, error) -> str:
    if status == 500:
        return "Internal error; it has been logged"
    return getattr(error, "description", None) or "Error"


def _flatten_location(errors: dict) -> dict:
    """webargs nests errors by location ({"json": {...}}); keep the field names on top."""
    if isinstance(errors, dict) and len(errors) == 1:
        (loc, inner), = errors.items()
        if loc in ("json", "query", "form", "files", "headers", "path") and isinstance(inner, dict):
            return inner
    return errors


def _invalid_input(errors) -> str:
    """"Invalid input: name: Longer than maximum length 128." for every field named."""
    if not isinstance(errors, dict):
        return "Invalid input"
    return "Invalid input: " + "; ".join(f"{name}: {_first(msgs)}"
                                         for name, msgs in sorted(errors.items(), key=str))


def _first(messages) -> str:
    """The first message of a marshmallow error tree (lists, dicts of nested fields)."""
    while isinstance(messages, (dict, list)) and messages:
        if isinstance(messages, dict):
            key, messages = next(iter(messages.items()))
            if not isinstance(messages, list):
                return f"{key}: {_first(messages)}"
        else:
            messages = messages[0]
    return str(messages)


def _rollback() -> None:
    from backend.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the session may be unusable; the error is what matters
        log.debug("rollback failed", exc_info=True)
