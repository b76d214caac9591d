from datetime import timezone

import marshmallow as ma
from marshmallow import validate

from backend.schemas import ID, RecordSchema, Strict

AWARE = dict(default_timezone=timezone.utc)


class MaintenanceWindowSchema(RecordSchema):
    site_id = ma.fields.Integer(required=True, validate=validate.Range(min=1))
    board_id = ma.fields.Integer(**ID, metadata={"description": "Exactly one of board_id and "
                                                               "circuit_id"})
    circuit_id = ma.fields.Integer(**ID)
    starts_at = ma.fields.AwareDateTime(required=True, **AWARE,
                                        metadata={"description": "No zone given: UTC"})
    ends_at = ma.fields.AwareDateTime(required=True, **AWARE,
                                      metadata={"description": "After starts_at; at most 30 "
                                                               "days later"})
    reason = ma.fields.String(load_default="", validate=validate.Length(max=255))
    created_by = ma.fields.Integer(dump_only=True)


class MaintenanceWindowPutSchema(MaintenanceWindowSchema):
    pass


class MaintenanceWindowQueryArgsSchema(Strict):
    site_id = ma.fields.Integer(validate=validate.Range(min=1))
    board_id = ma.fields.Integer()
    circuit_id = ma.fields.Integer()
    active_at = ma.fields.AwareDateTime(**AWARE, metadata={"description": "Windows on at "
                                                                          "this time"})
