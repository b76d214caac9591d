"""Repair orders (抢修工单): created from an alarm (or by hand), worked by an assignee,
with photos of the repair."""
from flask import Response
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.alarms import repair_orders as service
from backend.api.blueprint import Blueprint
from backend.api.pagination import SQLPage
from backend.api.repair_orders.schemas import (
    PhotoUploadSchema,
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


@blp.route("/<int:obj_id>/photos")
class RepairPhotos(MethodView):
    @access(Role.staff)
    @blp.response(200, RepairPhotoSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, obj_id):
        """Photos of a repair order (metadata; the bytes are at /photos/{id})"""
        return service.select_photos(current_actor(), obj_id)

    @access(Role.staff)
    @blp.arguments(PhotoUploadSchema, location="files")
    @blp.response(201, RepairPhotoSchema)
    def post(self, files, obj_id):
        """Attach a photo (multipart field ``file``: JPEG, PNG or WebP, at most 5 MB)"""
        upload = files["file"]
        data = upload.read(service.MAX_PHOTO_BYTES + 1)
        photo = service.add_photo(current_actor(), obj_id, upload.filename, data)
        db.session.commit()
        return photo


@blp.route("/<int:obj_id>/photos/<int:photo_id>")
class RepairPhotoById(MethodView):
    @access(Role.staff)
    @blp.response(200, content_type="image/*")
    def get(self, obj_id, photo_id):
        """The photo itself, with its content type"""
        photo = service.get_photo(current_actor(), obj_id, photo_id)
        return Response(photo.data, mimetype=photo.content_type, headers={
            "Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f"inline; filename=\"photo-{photo.id}"
                                   f"{service.PHOTO_TYPES[photo.content_type]}\""})

    @access(Role.staff)
    @blp.response(204)
    def delete(self, obj_id, photo_id):
        """Remove a photo"""
        service.delete_photo(current_actor(), obj_id, photo_id)
        db.session.commit()
