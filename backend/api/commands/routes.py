"""Remote switching: commands with their lifecycle (docs/control.md). Thin: parse, call
one service of backend/control/operations.py, commit, answer."""
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.commands.schemas import (
    CommandBatchPostSchema,
    CommandBatchSchema,
    CommandCommentSchema,
    CommandDetailSchema,
    CommandPostSchema,
    CommandQueryArgsSchema,
    CommandRejectSchema,
    CommandSchema,
    DeviceSettingsSchema,
    IdempotencyHeaderSchema,
    SettingsPutSchema,
)
from backend.api.pagination import SQLPage
from backend.control import batches, settings
from backend.control import operations as commands
from backend.extensions import db
from backend.models import Role

blp = Blueprint("commands", __name__, url_prefix="/api/v1",
                description="Remote switching: commands, their states and approvals")


@blp.route("/devices/<int:device_id>/commands")
class DeviceCommands(MethodView):
    @access(Role.staff)
    @blp.arguments(CommandQueryArgsSchema, location="query")
    @blp.response(200, CommandSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, args, device_id):
        """The device's command history, newest first"""
        return commands.device_history(current_actor(), device_id, args)

    @access(Role.staff)
    @blp.arguments(CommandPostSchema)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.response(202, CommandSchema)
    @blp.alt_response(403, description="no control right for this circuit "
                                       "(control_not_granted)", schema="Error")
    @blp.alt_response(409, description="device_offline, command_in_progress, "
                                       "switched_too_recently, device_disabled, "
                                       "device_not_controllable, idempotency_key_reused, "
                                       "site_link_down, site_remote_control",
                      schema="Error")
    def post(self, data, headers, device_id):
        """Switch a device: open/close/reset a breaker, on/off/dim a load

        Accepted commands are queued (or wait for a second person's approval on a
        protected circuit) and executed with read-back; follow them on the live stream
        (``command`` events) or at ``GET /commands/{id}``."""
        cmd = commands.request(current_actor(), device_id, data, headers["idempotency_key"])
        db.session.commit()
        return cmd


@blp.route("/devices/<int:device_id>/settings")
class DeviceSettings(MethodView):
    @access(Role.staff)
    @blp.response(200, DeviceSettingsSchema)
    @blp.alt_response(504, description="device_no_answer", schema="Error")
    @blp.alt_response(409, description="site_link_down, site_remote_control", schema="Error")
    def get(self, device_id):
        """The device's settings, read from the device now, with the profile's ranges"""
        return settings.read(current_actor(), device_id)

    @access(Role.staff)
    @blp.arguments(SettingsPutSchema)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.response(202, CommandSchema)
    @blp.alt_response(403, description="control_not_granted", schema="Error")
    @blp.alt_response(409, description="device_offline, command_in_progress, "
                                       "site_link_down, site_remote_control", schema="Error")
    def put(self, data, headers, device_id):
        """Change settings: one command (action ``settings``) written once and read back,
        audited with the values before and after; protected circuits need approval"""
        cmd = settings.request_change(current_actor(), device_id, data,
                                      headers["idempotency_key"])
        db.session.commit()
        return cmd


@blp.route("/commands")
class Commands(MethodView):
    @access(Role.staff)
    @blp.arguments(CommandQueryArgsSchema, location="query")
    @blp.response(200, CommandSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Commands of your sites, newest first; filter by site, device, state, user, time"""
        return commands.select_commands(current_actor(), args)


@blp.route("/commands/batches")
class CommandBatches(MethodView):
    @access(Role.staff)
    @blp.arguments(CommandBatchPostSchema)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.response(202, CommandBatchSchema)
    def post(self, data, headers):
        """Switch a group: a list of devices, every load of an area, every breaker of a board

        Each device gets its own command (protected circuits wait for approval); devices
        refused at once are listed with their reason, the others go ahead."""
        batch = batches.request_batch(current_actor(), data, headers["idempotency_key"])
        db.session.commit()
        return batch


@blp.route("/commands/<int:command_id>")
class CommandDetail(MethodView):
    @access(Role.staff)
    @blp.response(200, CommandDetailSchema)
    def get(self, command_id):
        """One command with every state it went through (time, actor, reason)"""
        return commands.detail(current_actor(), command_id)


_REFUSALS = dict(description="own_command, control_not_granted", schema="Error")
_CONFLICTS = dict(description="not_awaiting_approval, not_cancellable, site_remote_control "
                              "(a site box's command)", schema="Error")


@blp.route("/commands/<int:command_id>/approve")
class CommandApprove(MethodView):
    @access(Role.staff)
    @blp.arguments(CommandCommentSchema, required=False)
    @blp.response(200, CommandSchema)
    @blp.alt_response(403, **_REFUSALS)
    @blp.alt_response(409, **_CONFLICTS)
    def post(self, data, command_id):
        """Approve a protected circuit's command (a second person with control rights)"""
        cmd = commands.approve(current_actor(), command_id, data.get("comment"))
        db.session.commit()
        return cmd


@blp.route("/commands/<int:command_id>/reject")
class CommandReject(MethodView):
    @access(Role.staff)
    @blp.arguments(CommandRejectSchema)
    @blp.response(200, CommandSchema)
    @blp.alt_response(403, **_REFUSALS)
    @blp.alt_response(409, **_CONFLICTS)
    def post(self, data, command_id):
        """Reject a command awaiting approval, with the reason"""
        cmd = commands.reject(current_actor(), command_id, data["comment"])
        db.session.commit()
        return cmd


@blp.route("/commands/<int:command_id>/cancel")
class CommandCancel(MethodView):
    @access(Role.staff)
    @blp.arguments(CommandCommentSchema, required=False)
    @blp.response(200, CommandSchema)
    @blp.alt_response(403, description="control_not_granted", schema="Error")
    @blp.alt_response(409, **_CONFLICTS)
    def post(self, data, command_id):
        """Cancel a command not yet sent (the requester, or anyone who may control the
        device)"""
        cmd = commands.cancel(current_actor(), command_id, data.get("comment"))
        db.session.commit()
        return cmd
