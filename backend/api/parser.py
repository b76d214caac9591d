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

import marshmallow as ma
from flask import request
from webargs import core
from webargs.flaskparser import FlaskParser, abort

from backend.schemas import MAX_DEPTH, find_bad_input


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NotJson(f"{name} is not a JSON number")


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
            raise ma.ValidationError({"_schema": [f"nested deeper than {MAX_DEPTH} levels"]}) \
                from None
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
