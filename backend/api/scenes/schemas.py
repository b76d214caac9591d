import marshmallow as ma
from marshmallow import validate

from backend.automation.actions import MAX_ACTIONS, ActionField
from backend.models import Scene
from backend.schemas import NAME, POSITIVE_ID, Integer, RecordSchema, Strict, String, text


class NoteSchema(Strict):
    path = String()
    code = String()
    message = String()
    message_zh = String()


def actions_field(**kwargs) -> ma.fields.List:
    return ma.fields.List(ActionField(), validate=validate.Length(min=1, max=MAX_ACTIONS),
                          **kwargs)


class SceneSchema(RecordSchema):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    name = text(Scene.name, **NAME)
    description = text(max_length=2000, load_default="")
    actions = actions_field(required=True, metadata={
        "description": "what the scene does, in order: {kind: command | settings | scene "
                       "| ..., ...} (docs/automation.md)"})
    enabled = ma.fields.Boolean(load_default=True)
    created_by = Integer(dump_only=True, allow_none=True)
    updated_by = Integer(dump_only=True, allow_none=True)
    notes = ma.fields.List(ma.fields.Nested(NoteSchema), dump_only=True, metadata={
        "description": "after a save: what will run differently (action_needs_approval)"})


class ScenePutSchema(SceneSchema):
    pass


class SceneQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    enabled = ma.fields.Boolean()
    q = text(max_length=128, metadata={"description": "Substring of the name"})


class SceneRunPostSchema(Strict):
    reason = String(required=True, validate=validate.Length(min=1, max=500),
                    metadata={"description": "why (kept in every command and the audit log)"})


class SceneRunSchema(Strict):
    id = Integer()
    scene_id = Integer()
    site_id = Integer()
    run_by = Integer(allow_none=True)
    run_by_name = String()
    started_at = ma.fields.DateTime()
    reason = String()
    origin_kind = String(allow_none=True, metadata={
        "description": "who ran it when no person did: schedule, rule (or null)"})
    origin_id = Integer(allow_none=True)
    results = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "one per action: {index, kind, state, command_id?, error?, message?, "
                       "message_zh?}; a scene action has scene_run_id and its own results. "
                       "Read back, each shows its command's current state"})
