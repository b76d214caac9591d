"""``<int:...>`` in our routes: at most 2^31 - 1, the largest id a column holds, so a
larger number in a path is a 404 like any id that does not exist (not a database error)."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

from backend.schemas import INT4_MAX


class Int4Converter(IntegerConverter):
    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = INT4_MAX, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, max, signed)

    @staticmethod
    def openapi(converter) -> dict:
        """The path parameter's schema in the OpenAPI document."""
        schema = {"type": "integer", "maximum": converter.max}
        if converter.min is not None:
            schema["minimum"] = converter.min
        elif not converter.signed:
            schema["minimum"] = 0
        return schema
