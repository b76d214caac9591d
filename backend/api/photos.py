"""The photo sub-resource of a holder (a repair order, an inspection record), one for both:
``GET/POST {holder}/{id}/photos`` and ``GET[/DELETE] {holder}/{id}/photos/{photo_id}``.
The rules (types by their bytes, 5 MB, 20 a holder, the error codes) are in backend/photos.py;
the holder's service finds the holder in the caller's sites and calls them."""
import marshmallow as ma
from flask import Response
from flask.views import MethodView

from backend import photos
from backend.accounts.security import access, current_actor
from backend.api.pagination import SQLPage
from backend.extensions import db
from backend.models import Role
from backend.schemas import Integer, Strict, String


class PhotoUploadSchema(Strict):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                  "description": "JPEG, PNG or WebP, <= 5 MB"})


class PhotoSchema(Strict):
    """A photo's metadata (its holder's key is added by each holder's schema)."""
    id = Integer()
    filename = String()
    content_type = String()
    size = Integer()
    uploaded_by = Integer(allow_none=True)
    uploaded_at = ma.fields.DateTime()


def _doc(text):
    def put(fn):
        fn.__doc__ = text
        return fn
    return put


def photo_response(photo) -> Response:
    """The photo itself: its sniffed type, cached privately, never sniffed by the browser."""
    return Response(photo.data, mimetype=photo.content_type, headers={
        "Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"inline; filename=\"photo-{photo.id}"
                               f"{photos.PHOTO_TYPES[photo.content_type]}\""})


def register_photo_routes(blp, service, schema, noun: str, deletable: bool = False) -> None:
    """Add the photo routes to ``blp`` (whose rule is ``/<int:obj_id>``-based), served by
    ``service``'s select_photos / add_photo / get_photo [/ delete_photo]."""

    @blp.route("/<int:obj_id>/photos")
    class Photos(MethodView):
        @access(Role.staff)
        @blp.response(200, schema(many=True))
        @blp.paginate(SQLPage)
        @_doc(f"Photos of {noun} (metadata; the bytes are at /photos/{{id}})")
        def get(self, obj_id):
            return service.select_photos(current_actor(), obj_id)

        @access(Role.staff)
        @blp.arguments(PhotoUploadSchema, location="files")
        @blp.response(201, schema)
        @blp.alt_response(413, description="photo_too_large", schema="Error")
        @blp.alt_response(409, description="too_many_photos", schema="Error")
        @_doc("Attach a photo (multipart field ``file``: JPEG, PNG or WebP, at most 5 MB)")
        def post(self, files, obj_id):
            upload = files["file"]
            data = upload.read(photos.MAX_PHOTO_BYTES + 1)
            photo = service.add_photo(current_actor(), obj_id, upload.filename, data)
            db.session.commit()
            return photo

    class PhotoById(MethodView):
        @access(Role.staff)
        @blp.response(200, content_type="image/*")
        @_doc("The photo itself, with its content type")
        def get(self, obj_id, photo_id):
            return photo_response(service.get_photo(current_actor(), obj_id, photo_id))

    if deletable:
        class PhotoById(PhotoById):  # noqa: F811 - the same resource, removable
            @access(Role.staff)
            @blp.response(204)
            @_doc("Remove a photo")
            def delete(self, obj_id, photo_id):
                service.delete_photo(current_actor(), obj_id, photo_id)
                db.session.commit()

    blp.route("/<int:obj_id>/photos/<int:photo_id>")(PhotoById)
