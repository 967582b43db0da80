"""Model instances from raw SQL rows, for the queries every labeling request makes.

``QuerySet.raw()`` works out the column order and each field's converters again on every
call: under load that cost as much CPU as the query's round trip. Here they are worked out
once per model and database; the values go through the same converters as the ORM's.
"""

from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)
_plans: dict[tuple[type[Model], str], tuple[list[str], list[tuple[int, list[Any], Any]]]] = {}


def columns(model: type[Model], alias: str) -> str:
    """The select list that ``model_from_row`` expects: every concrete field, in order."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def _plan(model: type[Model]) -> tuple[list[str], list[tuple[int, list[Any], Any]]]:
    key = (model, connection.alias)
    if key not in _plans:
        converters = []
        for index, field in enumerate(model._meta.concrete_fields):
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((index, found, column))
        _plans[key] = ([field.attname for field in model._meta.concrete_fields], converters)
    return _plans[key]


def model_from_row(model: type[M], row: tuple | list) -> M:
    """An instance of ``model`` from the first values of ``row`` (a ``columns`` select list)."""
    names, converters = _plan(model)
    values = list(row[: len(names)])
    for index, functions, column in converters:
        value = values[index]
        for function in functions:
            value = function(value, column, connection)
        values[index] = value
    return model.from_db(connection.alias, names, values)


def fetch_one(model: type[M], sql: str, params: list[Any]) -> tuple[M, tuple] | None:
    """Run ``sql`` (its select list starting with ``columns(model, ...)``); the first row as an
    instance and the row's further values, or None when there is no row."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return model_from_row(model, row), tuple(row[len(model._meta.concrete_fields) :])


def db_value(model: type[Model], name: str, value: Any) -> Any:
    """``value`` as ``model``'s field ``name`` sends it to this database (uuid, JSON, datetime), for raw SQL."""
    return model._meta.get_field(name).get_db_prep_save(value, connection)
