"""JSON Lines and CSV: the formats a person opens in an editor or a spreadsheet.

Each has two writers with the same bytes: one over records (any database), one over the rows
``rows.row_chunks`` reads on PostgreSQL, which writes each line from the annotations' JSON text
the server composed, with no dict per annotation or record.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from labeling.exports.records import (
    Chunk,
    ExportContext,
    Record,
    compact_json,
    content_in,
    content_of,
    distinct_labels,
    dumps,
    dumps_bytes,
    labels_in,
    metadata_cell,
)
from labeling.exports.rows import VALUE_SEPARATOR, RowChunk, values_in, with_values
from projects.models import TaskType


def write_jsonl(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """One JSON object per line and item."""
    for chunk in chunks:
        yield b"".join([dumps_bytes(record) + b"\n" for record in chunk])


# The JSON of the words a record repeats on every line.
_WORDS = {None: "null", **{word: dumps(word) for word in ("consensus", "adjudication", "inherited")}}
_WORDS.update({word: dumps(word) for word in ("train", "dev", "test")})


def _word(value: str | None) -> str:
    found = _WORDS.get(value)
    return found if found is not None else dumps(value)


def write_jsonl_rows(chunks: Iterable[RowChunk], context: ExportContext) -> Iterator[bytes]:
    """``write_jsonl``'s bytes from rows (``JSON_TEXT``): each line composed in the order of the record's keys."""
    for chunk in chunks:
        lines = []
        finals = chunk.finals
        for row in chunk.rows:
            item_id, texts = row[0], row[-2]
            final, final_source = finals[item_id]
            augmentation = chunk.augmentation(row)
            lines.append(
                f'{{"id":{item_id},"external_id":{"null" if row[1] is None else dumps(row[1])}'
                f',"data":{compact_json(row[2])},"metadata":{compact_json(row[3])}'
                f',"annotations":[{"" if texts is None else with_values(texts, row[-1])}]'
                f',"final":{"null" if final is None else final},"final_source":{_word(final_source)}'
                f',"source":{"null" if row[4] is None else row[4]}'
                f',"root":{"null" if augmentation is None or row[6] is None else row[6]}'
                f',"augmentation":{"null" if augmentation is None else dumps(augmentation)}'
                f',"split":{_word(row[5])}}}\n'
            )
        yield "".join(lines).encode()


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula by prefixing a single quote."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _csv_header(context: ExportContext) -> list[str]:
    return ["id", "external_id", context.content_column, "metadata", "annotations", "labels", "final",
            "final_source", "source", "root", "augmentation", "split"]  # fmt: skip


def write_csv(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """One row per item; metadata and annotations as JSON, ``labels`` the distinct labels joined by ``|``."""
    return _csv(chunks, context, _nested_row)


def write_csv_rows(chunks: Iterable[RowChunk], context: ExportContext) -> Iterator[bytes]:
    """``write_csv``'s bytes from rows, each line joined here as ``csv.writer`` joins it."""
    yield _csv_line(_csv_header(context)).encode()
    for chunk in chunks:
        yield "".join([_csv_line(cells) for cells in _rows_of(chunk, context)]).encode()


def _csv_line(cells: list[Any]) -> str:
    """A row as ``csv.writer`` (the excel dialect) writes it: a cell with a comma, a quote or a line
    break quoted, its quotes doubled; lines end with CRLF. Measured several times faster than the
    writer on cells of JSON, which are mostly quotes."""
    return ",".join([_csv_cell(cell) for cell in cells]) + "\r\n"


def _csv_cell(cell: Any) -> str:
    text = cell if type(cell) is str else str(cell)
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def _csv(chunks: Iterable[Any], context: ExportContext, row_of: Any) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_csv_header(context))
    yield buffer.getvalue().encode()
    for chunk in chunks:
        buffer.seek(0)
        buffer.truncate()
        if row_of is None:
            writer.writerows(_rows_of(chunk, context))
        else:
            writer.writerows(row_of(record, context) for record in chunk)
        yield buffer.getvalue().encode()


def _nested_row(record: Record, context: ExportContext) -> list[Any]:
    cells = [
        record["external_id"] or "",
        content_of(record, context.content_column) or "",
        dumps(record["metadata"] or {}),
        dumps(record["annotations"]),
        "|".join(distinct_labels(record, context.task_type)),
        "" if record["final"] is None else dumps(record["final"]),
        record.get("final_source") or "",
        "" if record.get("source") is None else str(record["source"]),
        "" if record.get("root") is None else str(record["root"]),
        "" if record.get("augmentation") is None else dumps(record["augmentation"]),
        record.get("split") or "",
    ]
    return [record["id"], *[escape_cell(cell) for cell in cells]]


def _rows_of(chunk: RowChunk, context: ExportContext) -> Iterator[list[Any]]:
    """``_nested_row`` of each item of a row chunk; a cell that cannot start like a formula (JSON
    of an object or a list, ids) is not tested for one."""
    column, task_type = context.content_column, context.task_type
    for row in chunk.rows:
        item_id, texts = row[0], row[-2]
        final, final_source = chunk.finals[item_id]
        augmentation = chunk.augmentation(row)
        yield [
            item_id,
            escape_cell(row[1] or ""),
            escape_cell(content_in(row[2], column) or ""),
            escape_cell(metadata_cell(row[3])),
            "[]" if texts is None else f"[{with_values(texts, row[-1])}]",
            escape_cell(labels_cell(row[-1], task_type)),
            escape_cell(final or ""),
            escape_cell(final_source or ""),
            "" if row[4] is None else str(row[4]),
            "" if augmentation is None or row[6] is None else str(row[6]),
            "" if augmentation is None else dumps(augmentation),
            escape_cell(row[5] or ""),
        ]


def labels_cell(values_text: str | None, task_type: str) -> str:
    """The distinct labels joined by ``|`` from a ``JSON_TEXT`` row's values; labels that are plain
    strings with nothing escaped (most) read from the text without decoding each."""
    if values_text is None:
        return ""
    if task_type not in (TaskType.MULTILABEL, TaskType.SPANS) and "\\" not in values_text:
        texts = values_text.split(VALUE_SEPARATOR)
        if all(text[0] == '"' for text in texts):
            return "|".join(dict.fromkeys([text[1:-1] for text in texts]))
    return "|".join(labels_in(values_in(values_text), task_type))
