"""The one check of client input before any schema: every JSON body, query string, form
and upload name goes through ``InputParser`` (flask-smorest's webargs parser).

- a body that is not JSON is a 415 (``unsupported_media_type``); an empty one is left
  missing, so a schema with required fields, or a route whose body is required
  (``Blueprint.arguments``), answers 422;
- malformed JSON (or not UTF-8), NaN/Infinity and numbers too long to read are a 400
  ``bad_request``;
- nesting deeper than ``MAX_DEPTH`` (also where the json module would recurse too deep), a
  NUL or an unpaired surrogate in any key or string, anywhere (upload file names too), is
  a 422 naming the field (dotted: ``attributes.ip``).
"""
from __future__ import annotations

import json
import re

import marshmallow as ma
from flask import request
from webargs import core
from webargs.flaskparser import FlaskParser, abort

from backend.schemas import MAX_DEPTH, find_bad_input, scrub


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NotJson(f"{name} is not a JSON number")


# A JSON string (and the colon after a key), or a bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"\s*:?|[\[\]{}]')


def _deep_field(data: bytes) -> str:
    """The top-level key under which a body json could not parse (too deep) is nested
    deeper than MAX_DEPTH: the field the 422 names. Only on that error path."""
    depth, key = 0, "_schema"
    for match in _TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                return key
        elif token in (b"]", b"}"):
            depth -= 1
            key = "_schema" if depth == 0 else key
        elif depth == 1 and token.endswith(b":"):
            try:
                key = scrub(json.loads(token.rstrip(b": \t\r\n")))
            except ValueError:
                key = "_schema"
    return "_schema"


class InputParser(FlaskParser):
    def _raw_load_json(self, req):
        data = req.get_data(cache=True)
        if not data:
            return core.missing
        if not core.is_json(req.mimetype):
            abort(415, message=f"Send JSON (application/json), not "
                               f"{req.mimetype or 'a body without a content type'}",
                  error="unsupported_media_type")
        try:
            return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
        except RecursionError:
            raise ma.ValidationError({_deep_field(data): [
                f"nested deeper than {MAX_DEPTH} levels"]}) from None
        except UnicodeDecodeError as exc:
            self._invalid(exc, "not UTF-8 text")
        except (json.JSONDecodeError, _NotJson) as exc:
            self._invalid(exc, str(exc))
        except ValueError as exc:   # an integer of more than 4300 digits
            self._invalid(exc, "a number has too many digits")

    @staticmethod
    def _invalid(exc: Exception, problem: str):
        abort(400, exc=exc, message=f"Invalid JSON body: {problem}")

    def pre_load(self, location_data, *, schema, req, location):
        if location == "files":
            raw = {name: upload.filename or "" for name, upload in req.files.items()}
        elif location in ("query", "form"):
            raw = (req.args if location == "query" else req.form).to_dict(flat=False)
        else:
            raw = location_data
        bad = find_bad_input(raw)
        if bad:
            raise ma.ValidationError({bad[0]: [bad[1]]})
        return location_data


def require_json_body() -> None:
    """422 when a route that needs a body got none (an empty body)."""
    if not request.get_data(cache=True):
        abort(422, message="This request needs a JSON body",
              errors={"_schema": ["a JSON body is required"]}, error="body_required")
