"""The five routes of a site-scoped resource, thin: validate, call one service, commit."""
from __future__ import annotations

from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.pagination import SQLPage
from backend.extensions import db
from backend.models import Role


def register_crud(blp, service, schema, put_schema, query_schema, *, path: str) -> None:
    """``GET/POST {path}`` and ``GET/PUT/DELETE {path}/<id>`` for a SiteResource."""
    label = service.label

    class Collection(MethodView):
        @access(Role.staff)
        @blp.arguments(query_schema, location="query")
        @blp.response(200, schema(many=True))
        @blp.paginate(SQLPage)
        def get(self, args):
            return service.select(current_actor(), args)

        @access(service.WRITE_ROLE)
        @blp.arguments(schema)
        @blp.response(201, schema)
        def post(self, data):
            obj = service.create(current_actor(), data)
            db.session.commit()
            return obj

    class Item(MethodView):
        @access(Role.staff)
        @blp.response(200, schema)
        def get(self, obj_id):
            return service.get(current_actor(), obj_id)

        @access(service.WRITE_ROLE)
        @blp.arguments(put_schema(partial=True))
        @blp.response(200, schema)
        def put(self, data, obj_id):
            obj = service.update(current_actor(), obj_id, data)
            db.session.commit()
            return obj

        @access(service.WRITE_ROLE)
        @blp.response(204)
        def delete(self, obj_id):
            service.delete(current_actor(), obj_id)
            db.session.commit()

    Collection.__name__ = f"{label.title()}s"
    Item.__name__ = f"{label.title()}ById"
    Collection.__doc__ = f"List and create {label}s (scoped to your sites)"
    Item.__doc__ = f"Read, update and delete one {label}"
    blp.route(path)(Collection)
    blp.route(f"{path}/<int:obj_id>")(Item)
