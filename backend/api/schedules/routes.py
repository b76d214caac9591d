"""Schedules (CRUD, managers and admins write), their next runs and their history. Thin:
parse, call one service of backend/automation/schedules.py, commit, answer."""
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud
from backend.api.pagination import SQLPage
from backend.api.schedules.schemas import (
    NextRunsQueryArgsSchema,
    NextRunsSchema,
    SchedulePutSchema,
    ScheduleQueryArgsSchema,
    ScheduleRunQueryArgsSchema,
    ScheduleRunSchema,
    ScheduleSchema,
)
from backend.automation import schedules as service
from backend.models import Role

blp = Blueprint("schedules", __name__, url_prefix="/api/v1",
                description="Schedules: a scene or actions at times of day in the site's "
                            "time zone, exactly once per occurrence; missed runs reported")

register_crud(blp, service.schedules, ScheduleSchema, SchedulePutSchema,
              ScheduleQueryArgsSchema, path="/schedules")


@blp.route("/schedules/<int:schedule_id>/next")
class ScheduleNext(MethodView):
    @access(Role.staff)
    @blp.arguments(NextRunsQueryArgsSchema, location="query")
    @blp.response(200, NextRunsSchema)
    def get(self, args, schedule_id):
        """The next runs, oldest first, in UTC and in the site's time zone"""
        return service.next_runs(current_actor(), schedule_id, args["count"])


@blp.route("/schedules/<int:schedule_id>/runs")
class ScheduleHistory(MethodView):
    @access(Role.staff)
    @blp.arguments(ScheduleRunQueryArgsSchema, location="query")
    @blp.response(200, ScheduleRunSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, args, schedule_id):
        """What happened to each occurrence, newest first: ran, missed, ran_late (missed,
        then run), skipped_disabled (its scene was disabled)"""
        return service.history(current_actor(), schedule_id, args)
