from datetime import timezone

from backend.models import MaintenanceWindow
from backend.schemas import (
    ID,
    POSITIVE_ID,
    AwareDateTime,
    Integer,
    RecordSchema,
    Strict,
    text,
)

AWARE = dict(default_timezone=timezone.utc)


class MaintenanceWindowSchema(RecordSchema):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    board_id = Integer(**ID, metadata={"description": "Exactly one of board_id and "
                                                               "circuit_id"})
    circuit_id = Integer(**ID)
    starts_at = AwareDateTime(required=True, **AWARE,
                                        metadata={"description": "No zone given: UTC"})
    ends_at = AwareDateTime(required=True, **AWARE,
                                      metadata={"description": "After starts_at; at most 30 "
                                                               "days later"})
    reason = text(MaintenanceWindow.reason, load_default="")
    created_by = Integer(dump_only=True)


class MaintenanceWindowPutSchema(MaintenanceWindowSchema):
    pass


class MaintenanceWindowQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    board_id = Integer(validate=POSITIVE_ID)
    circuit_id = Integer(validate=POSITIVE_ID)
    active_at = AwareDateTime(**AWARE, metadata={"description": "Windows on at "
                                                                          "this time"})
