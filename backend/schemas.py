"""Shared schema pieces."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

CODE = dict(required=True, validate=[validate.Length(min=1, max=64),
                                     validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
                                                     error="letters, digits, '.', '_', '-' only")])
NAME = dict(required=True, validate=validate.Length(min=1, max=128))
ID = dict(allow_none=True, validate=validate.Range(min=1))


class Strict(ma.Schema):
    """Unknown fields are a 422 naming them (marshmallow's RAISE)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class RecordSchema(Strict):
    id = ma.fields.Integer(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class SiteRecordSchema(RecordSchema):
    site_id = ma.fields.Integer(required=True, validate=validate.Range(min=1))
    code = ma.fields.String(**CODE)
    name = ma.fields.String(**NAME)


class SiteQueryArgsSchema(Strict):
    site_id = ma.fields.Integer(validate=validate.Range(min=1))
    q = ma.fields.String(metadata={"description": "Substring of code or name"})
