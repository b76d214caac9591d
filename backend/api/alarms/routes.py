from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.alarms import confirmation
from backend.alarms import lifecycle as alarms
from backend.api.alarms.schemas import (
    AcknowledgeOneSchema,
    AcknowledgeSchema,
    AlarmCountsArgsSchema,
    AlarmCountsSchema,
    AlarmDetailSchema,
    AlarmQueryArgsSchema,
    AlarmSchema,
    AssigneeSchema,
    AssignSchema,
    CloseSchema,
    CommentSchema,
    FaultConfirmationSchema,
    TimelineEntrySchema,
)
from backend.api.blueprint import Blueprint
from backend.api.pagination import SQLPage
from backend.models import Role

blp = Blueprint("alarms", __name__, url_prefix="/api/v1/alarms",
                description="Warnings (预警) and alarms (报警) of your sites: list, detail with "
                            "the timeline, acknowledge, comment, assign, close")


@blp.route("")
class Alarms(MethodView):
    @access(Role.staff)
    @blp.arguments(AlarmQueryArgsSchema, location="query")
    @blp.response(200, AlarmSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Alarms, newest first; filter by site, area, circuit, device, level, state, time"""
        return alarms.select_alarms(current_actor(), args)


@blp.route("/counts")
class AlarmCounts(MethodView):
    @access(Role.staff)
    @blp.arguments(AlarmCountsArgsSchema, location="query")
    @blp.response(200, AlarmCountsSchema)
    def get(self, args):
        """Open root alarms by level and state"""
        return alarms.counts(current_actor(), args.get("site_id"))


@blp.route("/acknowledge")
class AcknowledgeMany(MethodView):
    @access(Role.staff)
    @blp.arguments(AcknowledgeSchema)
    @blp.response(200, AlarmSchema(many=True))
    def post(self, data):
        """Acknowledge several alarms (and their grouped children); stops escalation"""
        return alarms.acknowledge(current_actor(), data["ids"], data.get("comment"))


@blp.route("/<int:alarm_id>")
class AlarmDetail(MethodView):
    @access(Role.staff)
    @blp.response(200, AlarmDetailSchema)
    def get(self, alarm_id):
        """One alarm with its timeline, grouped children and notifications"""
        return alarms.detail(current_actor(), alarm_id)


@blp.route("/<int:alarm_id>/acknowledge")
class AcknowledgeOne(MethodView):
    @access(Role.staff)
    @blp.arguments(AcknowledgeOneSchema, required=False)
    @blp.response(200, AlarmSchema)
    def post(self, data, alarm_id):
        """Acknowledge one alarm (idempotent)"""
        alarms.acknowledge(current_actor(), [alarm_id], data.get("comment"))
        return alarms.get(current_actor(), alarm_id)


@blp.route("/<int:alarm_id>/comments")
class Comments(MethodView):
    @access(Role.staff)
    @blp.arguments(CommentSchema)
    @blp.response(201, TimelineEntrySchema)
    def post(self, data, alarm_id):
        """Add a comment to the alarm's timeline"""
        return alarms.comment(current_actor(), alarm_id, data["text"])


@blp.route("/<int:alarm_id>/assign")
class Assign(MethodView):
    @access(Role.manager)
    @blp.arguments(AssignSchema)
    @blp.response(200, AlarmSchema)
    def post(self, data, alarm_id):
        """Assign to a user of the alarm's site; null unassigns"""
        return alarms.assign(current_actor(), alarm_id, data["user_id"])


@blp.route("/<int:alarm_id>/assignees")
class Assignees(MethodView):
    @access(Role.manager)
    @blp.response(200, AssigneeSchema(many=True))
    def get(self, alarm_id):
        """The users of the alarm's site it can be assigned to"""
        return alarms.assignees(current_actor(), alarm_id)


@blp.route("/<int:alarm_id>/take")
class Take(MethodView):
    @access(Role.staff)
    @blp.response(200, AlarmSchema)
    def post(self, alarm_id):
        """Assign the alarm to yourself (duty staff taking a job)"""
        actor = current_actor()
        return alarms.assign(actor, alarm_id, actor.user_id)


@blp.route("/<int:alarm_id>/fault-confirmation")
class FaultConfirmation(MethodView):
    @access(Role.staff)
    @blp.arguments(FaultConfirmationSchema)
    @blp.response(200, AlarmSchema)
    def post(self, data, alarm_id):
        """Remote fault confirmation from the pop-up (运维人员进行远程故障确认): the fault is
        real or a false alarm; on the timeline with who and when, acknowledges an active one"""
        return confirmation.confirm(current_actor(), alarm_id, data["verdict"],
                                    data.get("comment"))


@blp.route("/<int:alarm_id>/close")
class Close(MethodView):
    @access(Role.staff)
    @blp.arguments(CloseSchema, required=False)
    @blp.response(200, AlarmSchema)
    def post(self, data, alarm_id):
        """Close a cleared alarm (409 while its cause is present)"""
        return alarms.close(current_actor(), alarm_id, data.get("comment"))
