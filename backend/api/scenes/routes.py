"""Scenes (CRUD, managers and admins write) and their runs. Thin: parse, call one service
of backend/automation, commit, answer."""
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.commands.schemas import IdempotencyHeaderSchema
from backend.api.crud import register_crud
from backend.api.pagination import SQLPage
from backend.api.scenes.schemas import (
    ScenePutSchema,
    SceneQueryArgsSchema,
    SceneRunPostSchema,
    SceneRunSchema,
    SceneSchema,
)
from backend.automation import scene_runs
from backend.automation.scenes import scenes
from backend.extensions import db
from backend.models import Role

blp = Blueprint("scenes", __name__, url_prefix="/api/v1",
                description="Scenes: named lists of actions run on demand, each action a "
                            "command through the control lifecycle")

register_crud(blp, scenes, SceneSchema, ScenePutSchema, SceneQueryArgsSchema, path="/scenes")


@blp.route("/scenes/<int:scene_id>/run")
class SceneRun(MethodView):
    @access(Role.staff)
    @blp.arguments(SceneRunPostSchema)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.response(202, SceneRunSchema)
    @blp.alt_response(403, description="control_not_granted (staff without a right on "
                                       "every device of the scene)", schema="Error")
    @blp.alt_response(409, description="scene_disabled, idempotency_key_reused",
                      schema="Error")
    def post(self, data, headers, scene_id):
        """Run a scene: a run with a result per action, at once

        Each action is a command of yours (protected circuits wait for approval); follow
        them on the live stream (``command`` events) or at ``GET /scene-runs/{id}``. The
        same Idempotency-Key returns the same run."""
        run = scene_runs.run_scene(current_actor(), scene_id, data,
                                   headers["idempotency_key"])
        db.session.commit()
        return run


@blp.route("/scenes/<int:scene_id>/runs")
class SceneRuns(MethodView):
    @access(Role.staff)
    @blp.response(200, SceneRunSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, scene_id):
        """The scene's runs, newest first (results as recorded; one run shows the current
        command states)"""
        return scene_runs.runs_of(current_actor(), scene_id)


@blp.route("/scene-runs/<int:run_id>")
class SceneRunDetail(MethodView):
    @access(Role.staff)
    @blp.response(200, SceneRunSchema)
    def get(self, run_id):
        """One run, each action with its command's current state"""
        return scene_runs.get_run(current_actor(), run_id)
