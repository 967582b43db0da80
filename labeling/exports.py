"""Export of a dataset version with its labels, streamed in every format a team may need.

Reading: ``version_chunks`` walks the version's items in id order by keyset pagination
(``id > last`` with a LIMIT, never OFFSET) and fetches the annotations of each chunk in
one query, as plain tuples: two queries per chunk whatever the version's size, and one
chunk in memory at a time. Versions are immutable; annotations are read chunk by chunk,
so an export that runs while people label holds each item's annotations as they were
when its chunk was read.

Writing: one generator per format turns those chunks into bytes as they come, so a
response can stream a million items without holding them. Every record is::

    {"id", "external_id", "data": {"text" | "image": ...}, "metadata": {...},
     "annotations": [{"uuid", "annotator", "value", "revision", "created_at", "updated_at"}],
     "final": ..., "final_source": "adjudication" | "consensus" | None}

``final`` is the item's settled label: the newest adjudication when a reviewer made one,
else the majority of its annotations (values compared whole), else null (no annotation,
or a tie, which waits for a reviewer). ``final_source`` says which. Both are read per
chunk (one more query for the chunk's adjudications), so the export stays bounded.
"""

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from labeling.models import Annotation
from labeling.review.selectors import final_labels
from projects.models import Project, TaskType
from projects.selectors import items_in_version

CHUNK_SIZE = 1000

Record = dict[str, Any]
Chunk = list[Record]


# Reading ---------------------------------------------------------------------------


def version_chunks(*, project: Project, number: int, chunk_size: int | None = None) -> Iterator[Chunk]:
    """The items of version ``number`` with their annotations, ``chunk_size`` items at a time."""
    size = chunk_size or CHUNK_SIZE
    items = items_in_version(project=project, number=number).values_list("id", "external_id", "data", "metadata")
    last_id = 0
    while True:
        rows = list(items.filter(id__gt=last_id)[:size])
        if not rows:
            return
        last_id = rows[-1][0]
        item_ids = [row[0] for row in rows]
        annotations = _annotations_of(item_ids=item_ids)
        finals = final_labels(
            item_ids=item_ids,
            annotations={item_id: [a["value"] for a in entries] for item_id, entries in annotations.items()},
        )
        yield [
            {
                "id": item_id,
                "external_id": external_id,
                "data": data,
                "metadata": metadata,
                "annotations": annotations.get(item_id, []),
                "final": finals[item_id][0],
                "final_source": finals[item_id][1],
            }
            for item_id, external_id, data, metadata in rows
        ]
        if len(rows) < size:
            return


def _annotations_of(*, item_ids: list[int]) -> dict[int, list[Record]]:
    rows = (
        Annotation.objects.filter(item_id__in=item_ids)
        .order_by("item_id", "id")
        .values_list("item_id", "uuid", "annotator__username", "value", "revision", "created_at", "updated_at")
    )
    by_item: dict[int, list[Record]] = defaultdict(list)
    for item_id, uuid, username, value, revision, created_at, updated_at in rows:
        by_item[item_id].append(
            {
                "uuid": str(uuid),
                "annotator": username,
                "value": value,
                "revision": revision,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
    return by_item


def version_annotators(*, project: Project, number: int) -> dict[str, str]:
    """Username -> email of everyone who annotated an item of the version, by username."""
    item_ids = items_in_version(project=project, number=number).values("id")
    rows = (
        Annotation.objects.filter(project=project, item_id__in=item_ids)
        .order_by("annotator__username")
        .values_list("annotator__username", "annotator__email")
        .distinct()
    )
    return dict(rows)


# Shared helpers --------------------------------------------------------------------


@dataclass(frozen=True)
class ExportContext:
    """What a writer needs to know about the project besides the records."""

    task_type: str
    content_column: str
    # username -> email of the version's annotators: CoNLL's columns, Label Studio's completed_by
    annotators: dict[str, str] = field(default_factory=dict)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _json_record(record: Record) -> Record:
    """The record with its times as ISO 8601 text, ready for ``json.dumps``."""
    return {
        **record,
        "annotations": [
            {**annotation, "created_at": _iso(annotation["created_at"]), "updated_at": _iso(annotation["updated_at"])}
            for annotation in record["annotations"]
        ],
    }


def _content(record: Record, column: str) -> str | None:
    value = (record["data"] or {}).get(column)
    return value if value is None or isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def value_labels(value: Any, task_type: str) -> list[str]:
    """The label names one annotation's value holds, whatever the task type."""
    if value is None:
        return []
    if task_type == TaskType.MULTILABEL:
        return [str(label) for label in value]
    if task_type == TaskType.SPANS:
        return [str(span["label"]) for span in value]
    return [str(value)]


def distinct_labels(record: Record, task_type: str) -> list[str]:
    """Every label any annotator gave the item, once each, in order of first appearance."""
    seen: dict[str, None] = {}
    for annotation in record["annotations"]:
        for label in value_labels(annotation["value"], task_type):
            seen.setdefault(label, None)
    return list(seen)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# JSON Lines ------------------------------------------------------------------------


def write_jsonl(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """One JSON object per line and item."""
    for chunk in chunks:
        yield "".join(_dumps(_json_record(record)) + "\n" for record in chunk).encode()


# CSV -------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula by prefixing a single quote."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def write_csv(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """One row per item; metadata and annotations as JSON, ``labels`` the distinct labels joined by ``|``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["id", "external_id", context.content_column, "metadata", "annotations", "labels", "final", "final_source"]
    )
    yield buffer.getvalue().encode()
    for chunk in chunks:
        buffer.seek(0)
        buffer.truncate()
        for record in chunk:
            record = _json_record(record)
            cells = [
                record["external_id"] or "",
                _content(record, context.content_column) or "",
                _dumps(record["metadata"] or {}),
                _dumps(record["annotations"]),
                "|".join(distinct_labels(record, context.task_type)),
                "" if record["final"] is None else _dumps(record["final"]),
                record.get("final_source") or "",
            ]
            writer.writerow([record["id"], *(escape_cell(cell) for cell in cells)])
        yield buffer.getvalue().encode()


# Parquet ---------------------------------------------------------------------------

ANNOTATION_TYPE = pa.struct(
    [
        ("uuid", pa.string()),
        ("annotator", pa.string()),
        ("value", pa.string()),  # JSON: a label, a list of labels, or a list of spans
        ("revision", pa.int32()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)


def parquet_schema(content_column: str) -> pa.Schema:
    return pa.schema(
        [
            ("id", pa.int64()),
            ("external_id", pa.string()),
            (content_column, pa.string()),
            ("metadata", pa.string()),  # JSON: its keys differ from item to item
            ("annotations", pa.list_(ANNOTATION_TYPE)),
            ("labels", pa.list_(pa.string())),
            ("final", pa.string()),  # JSON: the adjudication, else the consensus; null for a tie or no label
            ("final_source", pa.string()),  # adjudication | consensus | null
        ]
    )


class _Drain:
    """A write-only file that hands back what was written since the last ``take``.

    ``ParquetWriter`` writes each row group as it is added, so draining after every
    chunk streams the file with one row group in memory.
    """

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def write_parquet(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """One row group per chunk; metadata, annotation values and ``final`` as JSON text."""
    schema = parquet_schema(context.content_column)
    sink = _Drain()
    with pq.ParquetWriter(sink, schema) as writer:
        for chunk in chunks:
            rows = [
                {
                    "id": record["id"],
                    "external_id": record["external_id"],
                    context.content_column: _content(record, context.content_column),
                    "metadata": _dumps(record["metadata"] or {}),
                    "annotations": [
                        {**annotation, "value": _dumps(annotation["value"])} for annotation in record["annotations"]
                    ],
                    "labels": distinct_labels(record, context.task_type),
                    "final": None if record["final"] is None else _dumps(record["final"]),
                    "final_source": record.get("final_source"),
                }
                for record in chunk
            ]
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            yield sink.take()
    yield sink.take()


# Label Studio ----------------------------------------------------------------------


def labelstudio_result(value: Any, *, task_type: str, text: str | None, region_prefix: str) -> list[Record]:
    """One annotation's value as Label Studio results: ``choices`` for classification,
    multi-label and image, one ``labels`` region per span (from_name ``label``)."""
    if task_type == TaskType.SPANS:
        return [
            {
                "id": f"{region_prefix}-{position}",
                "type": "labels",
                "from_name": "label",
                "to_name": "text",
                "origin": "manual",
                "value": {
                    "start": span["start"],
                    "end": span["end"],
                    "text": (text or "")[span["start"] : span["end"]],
                    "labels": [span["label"]],
                },
            }
            for position, span in enumerate(value or [], start=1)
        ]
    choices = value_labels(value, task_type)
    if not choices:
        return []
    return [
        {
            "id": region_prefix,
            "type": "choices",
            "from_name": "label",
            "to_name": "image" if task_type == TaskType.IMAGE else "text",
            "origin": "manual",
            "value": {"choices": choices},
        }
    ]


def labelstudio_task(record: Record, context: ExportContext) -> Record:
    """A Label Studio task: the content in ``data``, our ids and metadata in ``meta``."""
    text = _content(record, "text")
    annotations = []
    for annotation in record["annotations"]:
        region_prefix = annotation["uuid"][:8]
        annotations.append(
            {
                "result": labelstudio_result(
                    annotation["value"], task_type=context.task_type, text=text, region_prefix=region_prefix
                ),
                # Label Studio matches an imported annotator by email; the username is ours.
                "completed_by": {
                    "email": context.annotators.get(annotation["annotator"], ""),
                    "username": annotation["annotator"],
                },
                "created_at": _iso(annotation["created_at"]),
                "updated_at": _iso(annotation["updated_at"]),
                "was_cancelled": False,
                "ground_truth": False,
            }
        )
    return {
        "id": record["id"],
        "data": {context.content_column: _content(record, context.content_column)},
        "meta": {"external_id": record["external_id"], "metadata": record["metadata"] or {}},
        "annotations": annotations,
    }


def write_labelstudio(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """A JSON array of Label Studio tasks, written a chunk at a time."""
    yield b"["
    separator = "\n"
    for chunk in chunks:
        if not chunk:
            continue
        tasks = ",\n".join(_dumps(labelstudio_task(record, context)) for record in chunk)
        yield (separator + tasks).encode()
        separator = ",\n"
    yield b"\n]\n"


# CoNLL -----------------------------------------------------------------------------

TOKEN = re.compile(r"\S+")
NO_ANNOTATION = "_"


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Tokens split on whitespace, each with its character offsets [start, end)."""
    return [(match.group(), match.start(), match.end()) for match in TOKEN.finditer(text)]


def bio_tags(tokens: list[tuple[str, int, int]], spans: list[Record]) -> list[str]:
    """BIO tags of the tokens from one annotator's spans.

    A token belongs to a span when their characters overlap; the first token of a span
    is ``B-``, the rest ``I-``. Where spans overlap, the one that starts first keeps
    the token (BIO cannot nest).
    """
    tags = ["O"] * len(tokens)
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        inside = [
            index
            for index, (_, start, end) in enumerate(tokens)
            if start < span["end"] and end > span["start"] and tags[index] == "O"
        ]
        for position, index in enumerate(inside):
            tags[index] = ("B-" if position == 0 else "I-") + span["label"]
    return tags


def _comment(value: Any) -> str:
    return " ".join(str(value).split())


def write_conll(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """Token, start, end, then one BIO column per annotator (``_`` where they did not
    annotate the item); a ``# id = ...`` line before each item, a blank line after it."""
    annotators = list(context.annotators)
    yield ("# columns = token start end " + " ".join(annotators) + "\n\n").encode()
    for chunk in chunks:
        lines: list[str] = []
        for record in chunk:
            lines.append(f"# id = {record['id']}")
            if record["external_id"]:
                lines.append(f"# external_id = {_comment(record['external_id'])}")
            tokens = tokenize(_content(record, "text") or "")
            by_annotator = {a["annotator"]: bio_tags(tokens, a["value"] or []) for a in record["annotations"]}
            for index, (token, start, end) in enumerate(tokens):
                tags = [by_annotator[name][index] if name in by_annotator else NO_ANNOTATION for name in annotators]
                lines.append("\t".join([token, str(start), str(end), *tags]))
            lines.append("")
        yield ("\n".join(lines) + "\n").encode()


# Formats ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    writer: Callable[[Iterable[Chunk], ExportContext], Iterator[bytes]]
    content_type: str
    suffix: str
    task_types: tuple[str, ...] | None = None  # None: every task type


FORMATS: dict[str, ExportFormat] = {
    "jsonl": ExportFormat(write_jsonl, "application/x-ndjson; charset=utf-8", ".jsonl"),
    "csv": ExportFormat(write_csv, "text/csv; charset=utf-8", ".csv"),
    "parquet": ExportFormat(write_parquet, "application/vnd.apache.parquet", ".parquet"),
    "labelstudio": ExportFormat(write_labelstudio, "application/json", "-labelstudio.json"),
    "conll": ExportFormat(write_conll, "text/plain; charset=utf-8", ".conll", task_types=(TaskType.SPANS,)),
}


def export_stream(
    *, project: Project, number: int, export_format: str, chunk_size: int | None = None
) -> Iterator[bytes]:
    """The bytes of version ``number`` of the project in ``export_format``, as they are written."""
    spec = FORMATS[export_format]
    needs_annotators = export_format in ("conll", "labelstudio")
    annotators = version_annotators(project=project, number=number) if needs_annotators else {}
    context = ExportContext(task_type=project.task_type, content_column=project.content_column, annotators=annotators)
    return spec.writer(version_chunks(project=project, number=number, chunk_size=chunk_size), context)
