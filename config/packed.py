"""Many rows as numpy arrays, without a message or a Python object per row (PostgreSQL).

The server packs each column's binary values (its type's send function) into one ``bytea``
with ``string_agg``, and binary COPY hands those few large values over; numpy reads each in
one pass. A million rows of a few numbers arrive in a fraction of a second, where a cursor's
tuples (or text parsed by numpy) take seconds.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
MAX_PACKED_BYTES = 256 * 2**20  # one packed value at most (PostgreSQL refuses values over 1 GB)


@dataclass(frozen=True)
class Packed:
    """A column to read packed: its SQL expression (never null), PostgreSQL's send function, the numpy dtype."""

    name: str
    sql: str
    send: str
    dtype: str


def _copy_messages(sql: str, params: list) -> list[bytes]:
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)", params) as copy:
        return [bytes(block) for block in copy]


def _fields(message: bytes, at: int = 0) -> tuple[list[bytes | None], int]:
    """The values of the binary COPY row at ``at`` (a field count, then each value's length and bytes), and
    where the next row starts; no values at the trailer (a count of -1)."""
    count = int.from_bytes(message[at : at + 2], "big", signed=True)
    values: list[bytes | None] = []
    at += 2
    for _ in range(max(count, 0)):
        length = int.from_bytes(message[at : at + 4], "big", signed=True)
        at += 4
        values.append(None if length < 0 else message[at : at + length])
        at += max(length, 0)
    return values, at


def read_packed(
    source: str,
    params: list,
    columns: list[Packed],
    *,
    chunk: str,
    ids: tuple[int, int],
    extra: str = "",
    rows_per_id: int = 1,
) -> dict[str, Any]:
    """The rows of ``source`` as numpy arrays, one per column, without a message or a Python object per row.

    The server packs each column's binary values into one ``bytea`` (``string_agg`` of the send
    function: every aggregate of a query sees the rows in the same order, so the arrays stay
    aligned) and binary COPY hands over those few large values. Rows are read in spans of
    ``chunk`` (an id between ``ids``, with up to ``rows_per_id`` rows each) so that no value nears
    PostgreSQL's 1 GB. ``extra``: one
    more aggregate, returned under "extra" as a list of its value for each span.
    """
    width = sum(np.dtype(c.dtype).itemsize for c in columns)
    span = max(1, MAX_PACKED_BYTES // (width * max(1, rows_per_id)))
    packed = ", ".join(f"string_agg({c.send}({c.sql}), ''::bytea)" for c in columns)
    sql = f"SELECT count(*), {packed}{', ' + extra if extra else ''} FROM ({source}) AS packed"
    sql += f" WHERE {chunk} >= %s AND {chunk} < %s"
    parts: dict[str, list[bytes]] = {c.name: [] for c in columns}
    extras = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")  # compiling the expressions costs more than it saves here
        for low in range(ids[0], ids[1] + 1, span):
            values = _copied_row(sql, [*params, low, low + span])
            rows = int.from_bytes(values[0], "big", signed=True)
            if not rows:
                continue
            for column, value in zip(columns, values[1 : 1 + len(columns)], strict=True):
                if value is None or len(value) != rows * np.dtype(column.dtype).itemsize:
                    raise ValueError(f"column {column.name} has a null or a value of another width")
                parts[column.name].append(value)
            if extra:
                extras.append(values[-1])
    arrays = {
        c.name: np.frombuffer(b"".join(parts[c.name]), dtype=c.dtype) if parts[c.name] else np.zeros(0, c.dtype)
        for c in columns
    }
    return {**arrays, "extra": extras}


def _copied_row(sql: str, params: list) -> list[bytes | None]:
    """The one row of an aggregate query, through binary COPY (its bytea values arrive as they are)."""
    return copied_rows(sql, params)[0]


def copied_rows(sql: str, params: list) -> list[list[bytes | None]]:
    """The few rows of an aggregate query (such as packed columns per group), through binary COPY."""
    stream = b"".join(_copy_messages(sql, params))
    if not stream.startswith(COPY_SIGNATURE):
        raise ValueError("not a binary COPY stream")
    at = len(COPY_SIGNATURE) + 4
    at += 4 + int.from_bytes(stream[at : at + 4], "big")  # the header's extension area
    rows = []
    while at < len(stream):
        values, at = _fields(stream, at)
        if not values:  # the trailer
            break
        rows.append(values)
    return rows


def side_by_side(*reads: Callable[[], Any]) -> list[Any]:
    """The results of independent reads, run at once when that is safe: each but the first on its own
    connection in a thread, so the server works on them in parallel (and numpy, which lets go of the
    GIL, between them). Only on PostgreSQL outside a transaction: another connection would not see
    this one's uncommitted rows. Elsewhere they run one after the other, on this connection."""
    if len(reads) < 2 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return [read() for read in reads]
    with ThreadPoolExecutor(max_workers=len(reads) - 1) as pool:
        others = [pool.submit(_on_own_connection, read) for read in reads[1:]]
        first = reads[0]()
        return [first, *(other.result() for other in others)]


def _on_own_connection(read: Callable[[], Any]) -> Any:
    try:
        return read()
    finally:
        connection.close()  # this thread's connection
