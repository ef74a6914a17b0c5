"""A whole list in one bind parameter: `col IN <list>` that compiles to the same SQL for every
list length.

SQLAlchemy's expanding IN renders one placeholder per item, so every list length is a new
statement to render, and on PostgreSQL a new prepared statement to parse and plan; with
hundreds of ids (ranked feeds hydrate ~1,500 candidates) that dominated the page. Here the list
travels as one value: a PostgreSQL array (`col = ANY($1::BIGINT[])`) or, on SQLite, JSON text
read by `json_each`. Statements built with `member_of` depend on the dialect, so build them
per dialect (see algorithm/candidates.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class ListParam(TypeDecorator[list[Any]]):
    """A Python list bound as a PostgreSQL array or as JSON text elsewhere."""

    impl = String
    cache_ok = True

    def __init__(self, item: type[TypeEngine[Any]] = BigInteger) -> None:
        super().__init__()
        self.item = item

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(self.item))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Iterable[Any] | None, dialect: Dialect) -> Any:
        items = list(value or ())
        return items if dialect.name == "postgresql" else json.dumps(items)


def member_of(col: Any, name: str, dialect: str,
              item: type[TypeEngine[Any]] = BigInteger) -> Any:
    """`col` is one of the list bound as `name` (one parameter, any length)."""
    param = bindparam(name, type_=ListParam(item))
    if dialect == "postgresql":
        return col == any_(param)
    return col.in_(select(literal_column("value")).select_from(func.json_each(param)))
