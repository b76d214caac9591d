import marshmallow as ma
from marshmallow import validate
from webargs.fields import DelimitedList

from backend.api.scenes.schemas import NoteSchema, actions_field
from backend.automation import schedules as service
from backend.models import Schedule
from backend.models.automation import SCHEDULE_RUN_STATES
from backend.schemas import ID, NAME, POSITIVE_ID, Integer, RecordSchema, Strict, String, text

TIME_OF_DAY = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="HH:MM, 00:00-23:59")
MAX_DATES = 366


class IsoDate(ma.fields.Date):
    """A date given as YYYY-MM-DD, kept as that text (the JSON lists of a schedule)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {})["maxLength"] = 10
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).isoformat()

    def _serialize(self, value, attr, obj, **kwargs):
        return value if isinstance(value, str) else super()._serialize(value, attr, obj,
                                                                       **kwargs)


def _dates(description: str) -> ma.fields.List:
    return ma.fields.List(IsoDate(), load_default=list,
                          validate=validate.Length(max=MAX_DATES),
                          metadata={"description": description})


class ScheduleSchema(RecordSchema):
    site_id = Integer(required=True, validate=POSITIVE_ID)
    name = text(Schedule.name, **NAME)
    description = text(max_length=2000, load_default="")
    scene_id = Integer(**ID, metadata={"description": "run this scene; or give actions"})
    actions = actions_field(allow_none=True, metadata={
        "description": "run these actions (docs/automation.md); or give scene_id"})
    times = ma.fields.List(String(validate=[validate.Length(max=5), TIME_OF_DAY]),
                           required=True, validate=validate.Length(min=1, max=48),
                           metadata={"description": "times of day, HH:MM in the site's "
                                                    "time zone"})
    weekdays = ma.fields.List(Integer(validate=validate.Range(1, 7)),
                              load_default=lambda: [1, 2, 3, 4, 5, 6, 7],
                              validate=validate.Length(max=7), metadata={
                                  "description": "ISO weekdays: 1 = Monday .. 7 = Sunday"})
    start_date = IsoDate(allow_none=True, metadata={"description": "first day (inclusive)"})
    end_date = IsoDate(allow_none=True, metadata={"description": "last day (inclusive)"})
    except_dates = _dates("never on these days (holidays); wins over everything")
    extra_dates = _dates("also on these days, whatever the weekday or range (调休)")
    run_late = ma.fields.Boolean(load_default=False, metadata={
        "description": "a run missed while the platform was down is run when it is found "
                       "(it is reported either way)"})
    enabled = ma.fields.Boolean(load_default=True)
    checked_until = ma.fields.DateTime(dump_only=True, metadata={
        "description": "every occurrence up to here was handled"})
    created_by = Integer(dump_only=True, allow_none=True)
    updated_by = Integer(dump_only=True, allow_none=True)
    notes = ma.fields.List(ma.fields.Nested(NoteSchema), dump_only=True)
    time_zone = ma.fields.Method("_zone", dump_only=True)
    next_run_at = ma.fields.Method("_next", dump_only=True, allow_none=True)
    recent_missed = ma.fields.Method("_missed", dump_only=True, metadata={
        "description": "missed runs in the last 7 days"})

    def _zone(self, obj):
        return service.zone_of(obj.site_id).key

    def _next(self, obj):
        at = service.next_run_at(obj)
        return at.isoformat() if at else None

    def _missed(self, obj):
        return service.recent_missed(obj)


class SchedulePutSchema(ScheduleSchema):
    pass


class ScheduleQueryArgsSchema(Strict):
    site_id = Integer(validate=POSITIVE_ID)
    scene_id = Integer(validate=POSITIVE_ID)
    enabled = ma.fields.Boolean()
    q = text(max_length=128, metadata={"description": "Substring of the name"})


class NextRunsQueryArgsSchema(Strict):
    count = Integer(load_default=10, validate=validate.Range(1, service.MAX_NEXT))


class NextRunSchema(Strict):
    at = ma.fields.DateTime(metadata={"description": "UTC"})
    local = String(metadata={"description": "the same instant in the site's time zone"})


class NextRunsSchema(Strict):
    schedule_id = Integer()
    time_zone = String()
    enabled = ma.fields.Boolean()
    runs = ma.fields.List(ma.fields.Nested(NextRunSchema))


class ScheduleRunQueryArgsSchema(Strict):
    status = DelimitedList(String(validate=validate.OneOf(SCHEDULE_RUN_STATES)),
                           validate=validate.Length(max=len(SCHEDULE_RUN_STATES)))


class ScheduleRunSchema(Strict):
    id = Integer()
    schedule_id = Integer()
    site_id = Integer()
    occurrence = ma.fields.DateTime()
    local = ma.fields.Method("_local", metadata={"description": "the occurrence in the "
                                                                "site's time zone"})
    status = String(metadata={"description": ", ".join(SCHEDULE_RUN_STATES)})
    found_at = ma.fields.DateTime()
    ran_at = ma.fields.DateTime(allow_none=True)
    results = ma.fields.List(ma.fields.Dict(), allow_none=True)

    def _local(self, obj):
        return obj.occurrence.astimezone(service.zone_of(obj.site_id)).isoformat()
