from datetime import timezone

import marshmallow as ma

from backend.models import AuditEntry
from backend.schemas import POSITIVE_ID, AwareDateTime, Integer, Strict, String, text


class AuditEntrySchema(Strict):
    id = Integer()
    at = ma.fields.DateTime()
    user_id = Integer(allow_none=True)
    username = String(allow_none=True)
    action = String()
    entity_type = String()
    entity_id = Integer(allow_none=True)
    site_id = Integer(allow_none=True)
    site_ids = ma.fields.List(Integer(), allow_none=True, metadata={
        "description": "The sites a record of no one site concerns (a user: its grants "
                       "before and after)"})
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)
    remote_addr = String(allow_none=True)


class AuditEntryQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID, metadata={
        "description": "Rows of this site, or concerning it among others (users)"})
    entity_type = text(AuditEntry.entity_type)
    entity_id = Integer(validate=POSITIVE_ID)
    user_id = Integer(validate=POSITIVE_ID)
    action = text(AuditEntry.action)
    since = AwareDateTime(default_timezone=timezone.utc)
    until = AwareDateTime(default_timezone=timezone.utc)
