import marshmallow as ma

from backend.errors import ErrorSchema
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


def yaml_body(description: str) -> dict:
    """A request body of YAML text: raw, or a multipart upload in the field ``file``."""
    return {
        "required": True,
        "description": description,
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "text/yaml": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}}}},
        },
    }


YAML_BODY = yaml_body("The facility description (docs/facility-format.md), as the raw body "
                      "or as a multipart upload in the field `file`.")

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

IMPORT_PROBLEM = {"type": "object", "properties": {
    "line": {"type": "integer", "nullable": True, "description": "1-based line of the file"},
    "path": {"type": "string", "description": "Where in the document, e.g. `areas[1].kind`"},
    "field": {"type": "string", "description": "The field, when one is at fault"},
    "code": {"type": "string", "description": "A stable code, when there is one"},
    "message": {"type": "string"}}}


class ImportErrorSchema(ErrorSchema):
    """The 422 of an import: for ``import_invalid``, ``errors`` lists every problem of the
    file; for a bad query parameter it names the parameter, as every 422 does."""
    errors = ma.fields.Raw(metadata={"oneOf": [
        {"type": "array", "items": IMPORT_PROBLEM},
        {"type": "object", "description": "field -> messages (a bad query parameter)"}]})


IMPORT_ERRORS_DESCRIPTION = ("`import_invalid`: `errors` lists every problem with its line; "
                             "nothing was written")
TOO_LARGE_DESCRIPTION = ("`import_too_large`: the file has more records than "
                         "`GW_IMPORT_MAX_RECORDS` (default 25,000) or more bytes than "
                         "`GW_IMPORT_MAX_BYTES` (default 8 MiB); `errors` names the limit "
                         "(`import_max_records` or `import_max_bytes`). Nothing was read "
                         "further or written: split the file")
TIMEOUT_DESCRIPTION = ("`import_timeout`: the import did not finish within "
                       "`GW_IMPORT_MAX_SECONDS` (default 60 s; the database was slow or a "
                       "row was locked); it was rolled back, nothing was written. Retry "
                       "after `Retry-After` seconds")


def text_response(content_type: str, description: str, schema: dict | None = None) -> dict:
    return {"200": {"description": description,
                    "content": {content_type: {"schema": schema or {"type": "string"}}}}}


# A YAML document is read back as the object it describes (docs/facility-format.md).
FACILITY_DOCUMENT = {"type": "object", "description": "The facility document"}
