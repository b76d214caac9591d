from datetime import timezone

import marshmallow as ma

from backend.schemas import Strict


class AuditEntrySchema(Strict):
    id = ma.fields.Integer()
    at = ma.fields.DateTime()
    user_id = ma.fields.Integer(allow_none=True)
    username = ma.fields.String(allow_none=True)
    action = ma.fields.String()
    entity_type = ma.fields.String()
    entity_id = ma.fields.Integer(allow_none=True)
    site_id = ma.fields.Integer(allow_none=True)
    site_ids = ma.fields.List(ma.fields.Integer(), allow_none=True, metadata={
        "description": "The sites a record of no one site concerns (a user: its grants "
                       "before and after)"})
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)
    remote_addr = ma.fields.String(allow_none=True)


class AuditEntryQueryArgsSchema(Strict):
    site_id = ma.fields.Integer(metadata={
        "description": "Rows of this site, or concerning it among others (users)"})
    entity_type = ma.fields.String()
    entity_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    action = ma.fields.String()
    since = ma.fields.AwareDateTime(default_timezone=timezone.utc)
    until = ma.fields.AwareDateTime(default_timezone=timezone.utc)
