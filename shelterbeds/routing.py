"""URL converters: `<int:...>` in every route is a bounded database id."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

from .domain.ids import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:x>` matches 1 … MAX_ID only: a larger number is a 404 like any unknown id
    (werkzeug's own converter passes 2**40 through and PostgreSQL then fails the query)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
