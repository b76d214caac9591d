import marshmallow as ma

from backend.schemas import AwareDateTime, Integer, Strict, String


class ConfigQueryArgsSchema(Strict):
    since = Integer(validate=ma.validate.Range(min=0),
                    metadata={"description": "the version the site box runs (0: none yet)"})
    digest = String(validate=ma.validate.Length(max=64),
                    metadata={"description": "that version's digest: a version number alone "
                                             "could repeat after the centre is restored"})
    conflicts = Integer(validate=ma.validate.Range(min=0),
                        metadata={"description": "the site box's unresolved conflicts"})


class ConfigUserEntrySchema(Strict):
    username = String()
    display_name = String()
    role = String()
    is_superadmin = ma.fields.Boolean()
    is_active = ma.fields.Boolean()
    password_hash = String(metadata={"description": "Argon2 hash, as the centre keeps it"})
    phone = String(allow_none=True)
    locale = String()
    granted = ma.fields.Boolean()
    control = ma.fields.List(ma.fields.List(String()),
                             metadata={"description": "control grants: [scope, target code]"})
    wechat = ma.fields.List(ma.fields.List(String(allow_none=True)),
                            metadata={"description": "WeChat bindings: [appid, openid, unionid]"})


class ConfigDocumentSchema(Strict):
    site_code = String()
    version = Integer()
    digest = String()
    kind = String(metadata={"description": "accounts (devices, rules... in later slices)"})
    unchanged = ma.fields.Boolean(metadata={"description": "true: the site runs this version "
                                                           "already, no users are sent"})
    users = ma.fields.List(ma.fields.Nested(ConfigUserEntrySchema))


class ConfigResolveSchema(Strict):
    username = String(required=True, validate=ma.validate.Length(min=1, max=64))
    keep = String(required=True, validate=ma.validate.OneOf(("central", "local")),
                  metadata={"description": "central: the centre's values replace the local "
                                           "ones; local: the local ones stay"})


class ConfigResolvedSchema(Strict):
    username = String()
    keep = String()
    central_version = Integer()


class ConfigLocalChangeSchema(Strict):
    username = String()
    conflict = ma.fields.Boolean(metadata={"description": "the centre changed the user too"})
    central_version = Integer()
    fields = ma.fields.Dict(metadata={"description": "field -> {local, central} (a password "
                                                     "hash shown as a fingerprint)"})


class ConfigStatusSchema(Strict):
    version = Integer(metadata={"description": "the configuration version this box runs"})
    applied_at = AwareDateTime(allow_none=True)
    checked_at = AwareDateTime(allow_none=True)
    last_error = String(allow_none=True)
    conflicts = Integer()
    local_changes = ma.fields.List(ma.fields.Nested(ConfigLocalChangeSchema))
