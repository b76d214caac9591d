"""Our flask-smorest Blueprint: house pagination defaults, the input parser of
backend/api/parser.py, required bodies, and a page number bounded like every integer."""
from functools import wraps

from flask_smorest import Blueprint as _Blueprint
from marshmallow import validate

from backend.api.parser import InputParser, require_json_body
from backend.schemas import INT4_MAX


class Blueprint(_Blueprint):
    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 500}  # noqa: RUF012
    ARGUMENTS_PARSER = InputParser()
    PAGINATION_ARGUMENTS_PARSER = InputParser()

    def arguments(self, schema, *, location="json", required=True, **kwargs):
        """flask-smorest's, and an empty body is a 422 where the body is ``required``
        (the default; ``required=False`` for a body that may be left out)."""
        decorate = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json" or not required:
            return decorate

        def decorator(func):
            view = decorate(func)

            @wraps(view)
            def wrapper(*args, **kw):
                require_json_body()
                return view(*args, **kw)
            return wrapper
        return decorator

    def paginate(self, pager=None, **kwargs):
        """flask-smorest's, with ``page`` at most 2^31 - 1: the offset stays far inside the
        64 bits PostgreSQL takes (flask-smorest bounds only ``page_size``)."""
        decorate = super().paginate(pager, **kwargs)

        def decorator(func):
            view = decorate(func)
            schema = view._apidoc["pagination"]["parameters"]["schema"]
            schema._declared_fields["page"].validators.append(validate.Range(max=INT4_MAX))
            return view
        return decorator
