"""Repair orders (抢修工单): created from an alarm (or by hand), worked by an assignee,
with photos of the repair."""
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.alarms import repair_orders as service
from backend.api.blueprint import Blueprint
from backend.api.pagination import SQLPage
from backend.api.photos import register_photo_routes
from backend.api.repair_orders.schemas import (
    RepairOrderPatchSchema,
    RepairOrderQueryArgsSchema,
    RepairOrderSchema,
    RepairPhotoSchema,
)
from backend.extensions import db
from backend.models import Role

blp = Blueprint("repair_orders", __name__, url_prefix="/api/v1/repair-orders",
                description="Repair orders and their photos (staff of the site and up)")


@blp.route("")
class RepairOrders(MethodView):
    @access(Role.staff)
    @blp.arguments(RepairOrderQueryArgsSchema, location="query")
    @blp.response(200, RepairOrderSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """List repair orders of your sites, newest first"""
        return service.select_orders(current_actor(), args)

    @access(Role.staff)
    @blp.arguments(RepairOrderSchema)
    @blp.response(201, RepairOrderSchema)
    def post(self, data):
        """Open a repair order for an alarm (or for a site, with a title)"""
        order = service.create_order(current_actor(), data)
        db.session.commit()
        return order


@blp.route("/<int:obj_id>")
class RepairOrderById(MethodView):
    @access(Role.staff)
    @blp.response(200, RepairOrderSchema)
    def get(self, obj_id):
        """Read a repair order"""
        return service.get_order(current_actor(), obj_id)

    @access(Role.staff)
    @blp.arguments(RepairOrderPatchSchema)
    @blp.response(200, RepairOrderSchema)
    def patch(self, data, obj_id):
        """Move a repair order on (status), reassign it or change its note"""
        order = service.update_order(current_actor(), obj_id, data)
        db.session.commit()
        return order


register_photo_routes(blp, service, RepairPhotoSchema, "a repair order", deletable=True)
