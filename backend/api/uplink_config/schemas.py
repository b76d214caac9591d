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


class ConfigItemEntrySchema(Strict):
    key = String(metadata={"description": "the entry's identity at both ends (by codes)"})
    origin = Integer(allow_none=True, metadata={
        "description": "the centre's id of the row: a code or name changed at the centre "
                       "renames the box's row (not for the site, profiles)"})
    values = ma.fields.Dict(metadata={"description": "its values, references by code"})


def _items(what: str):
    return ma.fields.List(ma.fields.Nested(ConfigItemEntrySchema),
                          metadata={"description": f"the site's {what} (docs/sitelink.md)"})


class ConfigDocumentSchema(Strict):
    site_code = String()
    version = Integer()
    digest = String()
    kind = String(metadata={"description": "config: users, rules, scenes and schedules"})
    unchanged = ma.fields.Boolean(metadata={"description": "true: the site runs this version "
                                                           "already, nothing else is sent"})
    profiles = _items("uploaded device profiles: the latest of each name, {sha256, text}")
    facility = _items("facility: the site, then areas:<code>, rooms:..., devices:<code> "
                      "records as the facility export writes them, in its order")
    users = ma.fields.List(ma.fields.Nested(ConfigUserEntrySchema))
    scenes = _items("scenes, by name")
    schedules = _items("schedules, by name")
    linkage_rules = _items("linkage rules, by uid (a shipped default by "
                           "default:<template>:<area code>)")
    alarm_rules = _items("alarm rule overrides, by scope|target|rule|level")


KINDS = ("profiles", "facility", "users", "scenes", "schedules", "linkage_rules", "alarm_rules")


class ConfigResolveSchema(Strict):
    kind = String(load_default="users", validate=ma.validate.OneOf(KINDS))
    key = String(validate=ma.validate.Length(min=1, max=200),
                 metadata={"description": "the entry's key, as in local_changes"})
    username = String(validate=ma.validate.Length(min=1, max=64),
                      metadata={"description": "kind users: the user (or key)"})
    keep = String(required=True, validate=ma.validate.OneOf(("central", "local")),
                  metadata={"description": "central: the centre's values replace the local "
                                           "ones; local: the local ones stay"})

    @ma.validates_schema
    def _target(self, data, **kwargs):
        if not data.get("key") and not (data.get("kind") == "users" and data.get("username")):
            raise ma.ValidationError("key (or username for users) is required", "key")


class ConfigResolvedSchema(Strict):
    kind = String()
    key = String()
    username = String()
    keep = String()
    central_version = Integer()


class ConfigLocalChangeSchema(Strict):
    kind = String(metadata={"description": "profiles, facility, users, scenes, schedules, "
                                           "linkage_rules or alarm_rules"})
    key = String(metadata={"description": "the entry (a user name for users)"})
    label = String(metadata={"description": "what to show: a linkage rule's name (its key "
                                            "is a uid), else the key"})
    username = String()
    conflict = ma.fields.Boolean(metadata={"description": "the centre changed the user too"})
    central_version = Integer()
    since = AwareDateTime(allow_none=True, metadata={
        "description": "a local change since (stamped when the box first listed it)"})
    fields = ma.fields.Dict(metadata={"description": "field -> {local, central} (a password "
                                                     "hash shown as a fingerprint; exists: "
                                                     "deleted at one end)"})


class ConfigStatusSchema(Strict):
    version = Integer(metadata={"description": "the configuration version this box runs"})
    applied_at = AwareDateTime(allow_none=True)
    checked_at = AwareDateTime(allow_none=True)
    last_error = String(allow_none=True)
    conflicts = Integer()
    local_changes = ma.fields.List(ma.fields.Nested(ConfigLocalChangeSchema))


class ConfigChangeFieldSchema(Strict):
    local = ma.fields.Raw(allow_none=True, metadata={"description": "the box's value"})
    central = ma.fields.Raw(allow_none=True, metadata={"description": "the centre's value"})


class ReportedChangeSchema(Strict):
    kind = String(required=True, validate=ma.validate.OneOf(KINDS))
    key = String(required=True, validate=ma.validate.Length(min=1, max=200))
    label = String(validate=ma.validate.Length(max=200))
    username = String(validate=ma.validate.Length(max=64))
    conflict = ma.fields.Boolean(required=True)
    central_version = Integer(allow_none=True)
    since = AwareDateTime(allow_none=True, metadata={"description": "a local change since"})
    fields = ma.fields.Dict(keys=String(validate=ma.validate.Length(max=64)),
                            values=ma.fields.Raw(allow_none=True), load_default=dict,
                            metadata={"description": "field: {local, central}"})


class ConfigChangesReportSchema(Strict):
    conflicts = Integer(validate=ma.validate.Range(min=0))
    changes = ma.fields.List(ma.fields.Nested(ReportedChangeSchema), required=True,
                             validate=ma.validate.Length(max=5000))


class ConfigChangesStoredSchema(Strict):
    site_id = Integer()
    stored = Integer()
    conflicts = Integer()


class ConfigChangesQueryArgsSchema(Strict):
    site_id = Integer(metadata={"description": "one of your sites"})
    conflicts = ma.fields.Boolean(load_default=False,
                                  metadata={"description": "only conflicts (the centre "
                                                           "changed the entry too)"})


class SiteConfigChangeSchema(Strict):
    site_id = Integer()
    site_code = String()
    site_name = String()
    kind = String()
    key = String()
    label = String()
    username = String()
    conflict = ma.fields.Boolean()
    central_version = Integer(allow_none=True)
    since = String(allow_none=True, metadata={"description": "ISO time, as the box said"})
    reported_at = AwareDateTime(allow_none=True)
    fields = ma.fields.Dict()
