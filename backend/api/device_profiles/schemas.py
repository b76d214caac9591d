import marshmallow as ma

from backend.api.transfer.schemas import yaml_body
from backend.schemas import Integer, Strict, String

PROFILE_BODY = yaml_body("The profile (docs/profiles.md), as the raw YAML body or as a "
                         "multipart upload in the field `file`; at most 256 KiB.")


class DeviceProfileSchema(Strict):
    name = String()
    model = String(allow_none=True)
    vendor = String(allow_none=True)
    kinds = ma.fields.List(String())
    source = String(metadata={"description": "builtin, directory (GW_PROFILE_DIRS) or "
                                             "uploaded"})
    version = Integer(allow_none=True, metadata={"description": "uploaded: its version"})
    uploaded_at = ma.fields.DateTime(allow_none=True)
    uploaded_by = String(allow_none=True)
    controls = ma.fields.List(String())
    settings = Integer(metadata={"description": "number of settings"})
    metrics = Integer(metadata={"description": "number of metrics"})
    errors = ma.fields.List(String(), allow_none=True,
                            metadata={"description": "a file that does not load: why"})
