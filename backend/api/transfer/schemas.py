import marshmallow as ma

from backend.schemas import Integer, Strict, String

COUNTS = dict(keys=String(), values=Integer())


class ImportQueryArgsSchema(Strict):
    dry_run = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Validate everything, write nothing, return the same counts"})


class ImportResultSchema(Strict):
    site_id = Integer(
        allow_none=True, metadata={"description": "null on a dry run that would create the site"})
    site_code = String()
    dry_run = ma.fields.Boolean()
    created = ma.fields.Dict(**COUNTS, metadata={"description": "records created, per kind"})
    updated = ma.fields.Dict(**COUNTS, metadata={"description": "records changed, per kind"})
    unchanged = ma.fields.Dict(**COUNTS, metadata={"description": "records already as in the file"})


YAML_BODY = {
    "required": True,
    "description": "The facility description (docs/facility-format.md), as the raw body or "
                   "as a multipart upload in the field `file`.",
    "content": {
        "application/yaml": {"schema": {"type": "string"}},
        "text/yaml": {"schema": {"type": "string"}},
        "text/plain": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}}}},
    },
}

CSV_BODY = {
    "required": True,
    "description": "The device list: header line `code,name,kind,circuit,gateway,unit_id,profile,"
                   "area,enabled,poles,rated_current,trip_curve,rated_residual_current,"
                   "rated_power` (code, name, kind required), as the raw body or as a multipart "
                   "upload in the field `file`.",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}}}},
    },
}

IMPORT_ERRORS = {
    "description": "`import_invalid`: `errors` lists every problem as "
                   "`{line, path, field?, code?, message}`; nothing was written",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def text_response(content_type: str, description: str) -> dict:
    return {"200": {"description": description,
                    "content": {content_type: {"schema": {"type": "string"}}}}}
