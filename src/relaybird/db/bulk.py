"""Set-based statements for large batches: a fast multi-row INSERT (the driver's executemany with
values converted once per column type) and ``one_of``, membership in a list of any length.

SQLAlchemy's ORM and Core inserts convert every value of every row through the column types in
Python (tens of µs per row); at a million rows that is most of an import. Here the caller passes
tuples, each column's bind processor is looked up once, and the rows go straight to the DBAPI
cursor (sqlite3's executemany, psycopg's pipelined executemany) inside the session's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Table, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import InstrumentedAttribute, Session


def one_of(
    session: Session, column: InstrumentedAttribute[Any], values: Collection[Any]
) -> ColumnElement[bool]:
    """``column IN values`` with one parameter, however many values: a PostgreSQL array
    (``= ANY``), a JSON array SQLite unpacks with ``json_each`` (both use an index on
    ``column``). An IN list of n parameters is compiled anew for every n, costs a parameter per
    value and is bounded by the driver's parameter limit; this statement is compiled once."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    unpacked = func.json_each(bindparam(None, json.dumps(list(values)))).table_valued("value")
    return column.in_(select(unpacked.c.value))


def insert_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    encoded: Collection[str] = (),
) -> None:
    """``encoded``: JSON columns whose values are already JSON text (encoded where the rows were
    built, e.g. in the importer's worker processes)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    processors: list[Callable[[Any], Any] | None] = []
    marks_list: list[str] = []
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    for name in columns:
        impl = table.c[name].type.dialect_impl(dialect)
        processor: Callable[[Any], Any] | None = impl.bind_processor(dialect)
        if isinstance(impl, JSON) and name in encoded:
            processor = None
            marks_list.append(
                f"{mark}::{'jsonb' if isinstance(impl, JSONB) else 'json'}"
                if dialect.name == "postgresql"
                else mark
            )
        elif processor is None and isinstance(impl, JSON):
            # psycopg adapts JSON through SQLAlchemy's bind casts, which a raw cursor skips:
            # send the JSON text and cast it in SQL.
            processor = json.dumps
            marks_list.append(f"{mark}::{'jsonb' if isinstance(impl, JSONB) else 'json'}")
        else:
            marks_list.append(mark)
        processors.append(processor)
    marks = ", ".join(marks_list)
    names = ", ".join(dialect.identifier_preparer.quote(c) for c in columns)
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) VALUES ({marks})"
    )
    active = [(i, p) for i, p in enumerate(processors) if p is not None]
    if active:
        # Rows of one batch often share values (timestamps, states): convert each value once.
        memo: list[dict[Any, Any]] = [{} for _ in columns]
        converted = []
        for row in rows:
            values = list(row)
            for i, p in active:
                v = values[i]
                if v is None:
                    continue
                try:
                    values[i] = memo[i][v]
                except KeyError:
                    values[i] = memo[i][v] = p(v)
                except TypeError:  # unhashable (a JSON list): convert every time
                    values[i] = p(v)
            converted.append(values)
        params: Sequence[Sequence[Any]] = converted
    else:
        params = rows
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()
