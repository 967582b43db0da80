"""Reading batch files (CSV, JSONL, JSON array, Parquet) in bounded chunks.

No Django here: the reader takes a path and limits and yields ``ItemChunk``s whose
columns are already in the shape items are stored in (content, external id, metadata
as JSON text), so the importer can hand them to COPY without touching rows in Python.

Arrow does the heavy parsing. When it rejects a file its messages do not always say
where, so the slow, exact standard-library parser is run once over the file to name
the first bad row.
"""

import codecs
import csv
import io
import json
import queue
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from datasets.files.content_hash import utf8_bytes, utf8_sha256
from datasets.files.labelstudio import task_row

FORMATS = ("csv", "jsonl", "json", "parquet")
EXTENSIONS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}
ID_COLUMN = "id"
MAX_EXTERNAL_ID = 255
SNIFF_BYTES = 64 * 1024
# A CSV header is read to the end of its first record, however long, up to this many bytes.
MAX_HEADER_BYTES = 4 * 1024 * 1024
MAX_COLUMNS = 1_000  # the reader's default; the pipeline passes GROUNDWORK_MAX_COLUMNS
# A JSON value nested deeper than this is refused by name: Python's parser and encoder
# recurse, and past their limit would fail with "maximum recursion depth exceeded".
MAX_NESTING = 100
CHUNK_ROWS = 50_000
CHUNK_BYTES = 8 * 1024 * 1024
# A CSV cell that is a JSON number stays a number in the item's metadata; "007" or
# "1,5" stay text, so nothing a person typed is silently changed.
JSON_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"


class BatchFileError(ValueError):
    """The file cannot be read as a batch; the message names the row and the problem."""


@dataclass(frozen=True)
class ItemChunk:
    first_row: int  # 1-based number of the chunk's first data row (a CSV header is not a row)
    content: pa.Array  # strings, never null or empty
    external_id: pa.Array  # strings, "" where the row has no id
    metadata_json: pa.Array  # one JSON object per row, as text
    # SHA-256 of each content value, computed by the reader's thread while the previous
    # chunk is being written; None when the chunk was built elsewhere.
    hashes: list[str] | None = field(default=None, compare=False)
    # Rows of the file left out because their content was empty (validation reports them).
    empty: int = field(default=0, compare=False)

    def __len__(self) -> int:
        return len(self.content)


def format_for_name(filename: str) -> str | None:
    return EXTENSIONS.get(Path(filename).suffix.lower())


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# Files often mistaken for text batches, by their first bytes: what to tell the person.
_NOT_TEXT = (
    (b"PK\x03\x04", "the file is a ZIP archive (an Excel .xlsx workbook is one); export it as CSV"),
    (b"\x1f\x8b", "the file is gzip-compressed; upload it uncompressed"),
    (b"PAR1", "the file is Parquet; name it .parquet or send format=parquet"),
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def text_encoding_problem(head: bytes) -> str | None:
    """What is wrong with text that is not UTF-8, told by its first bytes (a BOM, or NULs in a pattern)."""
    for magic, problem in _NOT_TEXT:
        if head.startswith(magic):
            return problem
    encoding = next((name for bom, name in _BOMS if head.startswith(bom)), None) or _wide_encoding(head[:4096])
    if encoding:
        return f"the file is {encoding} text; save it as UTF-8 and upload it again"
    return None


def _wide_encoding(sample: bytes) -> str | None:
    """UTF-16 or UTF-32 without a BOM: mostly-Latin text leaves a NUL in the high bytes of (almost)
    every character and none in the low ones, which binary files seldom do."""
    sample = sample[: len(sample) - len(sample) % 4]
    if not sample:
        return None

    def mostly_nul(part: bytes) -> bool:
        return part.count(0) >= 0.9 * len(part)

    for low, highs in ((0, (1, 2, 3)), (3, (0, 1, 2))):  # little, then big endian
        if sample[low::4].count(0) == 0 and all(mostly_nul(sample[high::4]) for high in highs):
            return "UTF-32"
    for low in (0, 1):
        if sample[low::2].count(0) == 0 and mostly_nul(sample[1 - low :: 2]):
            return "UTF-16"
    return None


def read_csv_head(handle: BinaryIO, head: bytes = b"") -> tuple[bytes, int]:
    """A CSV file's first bytes, read on from ``head`` until they hold its whole first record (the
    header), and where that record ends (before its newline; at the end when the file has no other).

    A newline ends the record unless it is inside quotes, which come in pairs ("" included);
    a header longer than ``MAX_HEADER_BYTES`` is refused rather than read on.
    """
    data = bytearray(head)
    searched = quotes = 0
    while True:
        end = data.find(b"\n", searched)
        while end >= 0:
            quotes += data.count(b'"', searched, end)
            searched = end + 1
            if quotes % 2 == 0:
                return bytes(data), end
            end = data.find(b"\n", searched)
        quotes += data.count(b'"', searched)
        searched = len(data)
        if len(data) > MAX_HEADER_BYTES:
            raise BatchFileError(f"the header is longer than {MAX_HEADER_BYTES:,} bytes, the limit")
        block = handle.read(SNIFF_BYTES)
        if not block:
            return bytes(data), len(data)
        data += block


def upload_check(handle: BinaryIO, fmt: str, *, size: int, content_column: str, max_columns: int = MAX_COLUMNS) -> None:
    """The checks an upload gets before it is kept: its first bytes, a CSV's whole header, a Parquet schema."""
    head = handle.read(SNIFF_BYTES)
    if fmt == "csv":
        head, _ = read_csv_head(handle, head)
    handle.seek(0)
    sniff(head, fmt, content_column=content_column, complete=size <= len(head), max_columns=max_columns)
    if fmt == "parquet":
        try:
            schema = pq.ParquetFile(handle).schema_arrow
        except (pa.ArrowInvalid, OSError) as exc:
            raise BatchFileError(f"this is not a readable Parquet file: {exc}") from None
        finally:
            handle.seek(0)
        check_parquet_schema(schema, content_column=content_column, max_columns=max_columns)


def sniff(head: bytes, fmt: str, *, content_column: str, complete: bool, max_columns: int = MAX_COLUMNS) -> None:
    """Cheap checks on the first bytes, so an upload that can never work is refused at once.

    ``complete`` says whether ``head`` is the whole file. A CSV ``head`` must hold the whole
    header (``read_csv_head``) for its columns to be checked.
    """
    if not head.strip():
        raise BatchFileError("the file is empty")
    if fmt == "parquet":
        if not head.startswith(b"PAR1"):
            raise BatchFileError("this is not a Parquet file (it does not start with PAR1)")
        return
    if problem := text_encoding_problem(head):
        raise BatchFileError(problem)
    if b"\x00" in head:
        raise BatchFileError(f"this looks like a binary file, not {fmt.upper()} text (it holds NUL bytes)")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if complete or exc.start < len(head) - 4:
            raise BatchFileError(
                f"the file is not UTF-8 text: byte 0x{head[exc.start]:02x} on line {_line_of(head, exc.start)}; "
                "save it as UTF-8 and upload it again"
            ) from None
        text = head[: exc.start].decode("utf-8-sig")
    if fmt == "csv":
        buffer = io.StringIO(text, newline="")
        try:
            header = next(csv.reader(buffer), [])
        except csv.Error as exc:
            raise BatchFileError(f"the header cannot be read: {exc}") from None
        check_header(header, content_column, max_columns=max_columns)
        if complete and not text[buffer.tell() :].strip():  # a StringIO tells its position in characters
            raise BatchFileError("the file holds no rows: only the header")
    elif fmt == "json" and not text.lstrip().startswith("["):
        raise BatchFileError("a JSON batch must be an array of objects: [{...}, {...}]")
    elif fmt == "json" and complete and "".join(text.split()) == "[]":
        raise BatchFileError("the file holds no rows: the JSON array is empty")
    elif fmt == "jsonl":
        first = text.lstrip().split("\n", 1)[0]
        if first and ("\n" in text.lstrip() or complete):
            record = _jsonl_object(first, 1)
            if len(record) > max_columns:
                raise BatchFileError(_too_many_columns(len(record), max_columns, "row 1"))


def _too_many_columns(found: int, limit: int, where: str) -> str:
    return f"{where} has {found:,} columns; the limit is {limit:,} columns per batch"


def check_header(header: list[str], content_column: str, *, max_columns: int = MAX_COLUMNS) -> None:
    """A header's names: not too many, the content column among them, none twice, none empty."""
    if len(header) > max_columns:
        raise BatchFileError(_too_many_columns(len(header), max_columns, "the file"))
    names = [name.strip() for name in header]
    if content_column not in names:
        found = ", ".join(repr(n) for n in names[:20]) or "nothing"
        raise BatchFileError(f"the header has no {content_column!r} column (found: {found})")
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise BatchFileError(f"the header names a column twice: {', '.join(map(repr, duplicates[:20]))}")
    if any(not n for n in names):
        raise BatchFileError("the header has a column without a name")
    if any("\n" in n or "\r" in n for n in names):
        raise BatchFileError("the header has a column name that holds a line break")


def _is_text_type(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def check_parquet_schema(schema: pa.Schema, *, content_column: str, max_columns: int = MAX_COLUMNS) -> None:
    """A Parquet file's columns and the types of its content and id columns, before any row is read."""
    check_header(schema.names, content_column, max_columns=max_columns)
    content_type = schema.field(content_column).type
    if not (_is_text_type(content_type) or pa.types.is_null(content_type)):
        raise BatchFileError(f"the {content_column!r} column must hold text, not {_type_name(content_type)}")
    if ID_COLUMN in schema.names:
        id_type = schema.field(ID_COLUMN).type
        value_type = id_type.value_type if pa.types.is_dictionary(id_type) else id_type
        if not (_is_text_type(value_type) or pa.types.is_integer(value_type) or pa.types.is_null(value_type)):
            raise BatchFileError(f"the {ID_COLUMN!r} column must hold text or whole numbers, not {_type_name(id_type)}")


def _type_name(kind: pa.DataType) -> str:
    """A column type as a person reads it: the values' type, whatever the encoding."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return str(kind)


def _jsonl_object(line: str, row: int) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BatchFileError(f"row {row}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise BatchFileError(_too_deep(row)) from None
    if not isinstance(value, dict):
        raise BatchFileError(f"row {row}: each line must be a JSON object, not {type(value).__name__}")
    # Brackets inside strings count too, so this only lets through rows that cannot be too deep.
    if line.count("{") + line.count("[") > MAX_NESTING:
        _check_nesting(value, row)
    return value


def _too_deep(row: int) -> str:
    return f"row {row} nests deeper than {MAX_NESTING} levels of objects and lists, the limit"


def _check_nesting(record: dict[str, Any], row: int) -> None:
    """Refuse a record nested deeper than ``MAX_NESTING``, walking it without recursion."""
    pending = [(value, 2) for value in record.values() if isinstance(value, dict | list)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_NESTING:
            raise BatchFileError(_too_deep(row))
        children = value.values() if isinstance(value, dict) else value
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


class _CountingReader(io.RawIOBase):
    """A file that remembers how far it has been read, for progress."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)
        self.position += n or 0
        return n

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.position += len(data)
        return data


class BatchReader:
    """Yields a batch file's rows as ``ItemChunk``s and tells how far it got."""

    def __init__(
        self,
        path: str | Path,
        fmt: str,
        *,
        content_column: str,
        max_rows: int,
        max_field_bytes: int,
        chunk_rows: int = CHUNK_ROWS,
        max_columns: int = MAX_COLUMNS,
    ) -> None:
        if fmt not in FORMATS:
            raise BatchFileError(f"unsupported format {fmt!r}")
        self.path = Path(path)
        self.fmt = fmt
        self.content_column = content_column
        self.max_rows = max_rows
        self.max_field_bytes = max_field_bytes
        self.chunk_rows = chunk_rows
        self.max_columns = max_columns
        self._record_columns: set[str] = set()  # names seen in JSON rows so far, to bound the batch's width
        self.size = self.path.stat().st_size
        self.rows_read = 0  # rows of the chunks handed out so far
        self._rows_parsed = 0  # rows parsed so far, which may run one chunk ahead
        self._fraction = 0.0
        self._odd_quotes = False
        self._fraction_read = 0.0

    @property
    def fraction_done(self) -> float:
        return min(self._fraction_read, 1.0)

    def chunks(self) -> Iterator[ItemChunk]:
        """The file's chunks, in order; the next one is parsed in a thread while the caller works on this one."""
        if self.size == 0:
            raise BatchFileError("the file is empty")
        if self.fmt != "parquet":
            self._check_text_encoding()
        produce = {
            "csv": self._csv_chunks,
            "jsonl": self._jsonl_chunks,
            "json": self._json_chunks,
            "parquet": self._parquet_chunks,
        }[self.fmt]
        for chunk, rows, fraction in _read_ahead(self._counted(produce())):
            self.rows_read, self._fraction_read = rows, fraction
            yield chunk
        if self.rows_read == 0:
            raise BatchFileError("the file holds no rows")
        self._fraction_read = 1.0

    def _counted(self, produced: Iterator[Any]) -> Iterator[tuple[Any, int, float]]:
        for chunk in produced:
            if len(chunk) or (isinstance(chunk, ItemChunk) and chunk.empty):
                yield chunk, self._rows_parsed, self._fraction

    # -- shared checks -------------------------------------------------------------
    def _check_text_encoding(self) -> None:
        """One pass in C over the bytes: UTF-8 only, no NUL; names the line of the first bad byte."""
        self._check_text_start()
        decoder = codecs.getincrementaldecoder("utf-8")()
        lines_before = quotes = 0
        with self.path.open("rb") as handle:
            while block := handle.read(16 * 1024 * 1024):
                nul = block.find(b"\x00")
                if nul >= 0:
                    line = lines_before + _line_of(block, nul)
                    raise BatchFileError(f"line {line}: a NUL byte; this looks like a binary file, not text")
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    line = lines_before + _line_of(block, max(exc.start, 0))
                    raise BatchFileError(
                        f"line {line}: the file is not UTF-8 text; save it as UTF-8 and upload it again"
                    ) from None
                lines_before += block.count(b"\n")
                quotes += block.count(b'"')
            # Well-formed CSV quotes in pairs; an odd count may be a quote never closed, which
            # Arrow would silently read as one value running to the end of the file.
            self._odd_quotes = quotes % 2 == 1
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise BatchFileError("the file ends in the middle of a UTF-8 character") from None

    def _check_text_start(self) -> None:
        """A file that is UTF-16 or an archive is told as such, not as "binary"."""
        with self.path.open("rb") as handle:
            if problem := text_encoding_problem(handle.read(SNIFF_BYTES)):
                raise BatchFileError(problem)

    def _csv_header(self) -> list[str]:
        """The CSV header's names, the whole first record read (bounded) and checked."""
        with self.path.open("rb") as handle:
            data, end = read_csv_head(handle)
        try:
            header = next(csv.reader(io.StringIO(data[:end].decode("utf-8-sig"), newline="")), [])
        except csv.Error as exc:
            raise BatchFileError(f"the header cannot be read: {exc}") from None
        check_header(header, self.content_column, max_columns=self.max_columns)
        return [name.strip() for name in header]

    def _check_record_columns(self, records: list[dict[str, Any]], first_row: int) -> None:
        """JSON rows have no header: each row, and all rows together, may name at most ``max_columns`` columns."""
        seen = self._record_columns
        for offset, record in enumerate(records):
            if len(record) > self.max_columns:
                raise BatchFileError(_too_many_columns(len(record), self.max_columns, f"row {first_row + offset}"))
            seen.update(record)
            if len(seen) > self.max_columns:
                raise BatchFileError(
                    f"row {first_row + offset} brings the batch to more than {self.max_columns:,} different "
                    f"columns, the limit per batch"
                )

    def _count_rows(self, n: int) -> int:
        first_row = self._rows_parsed + 1
        self._rows_parsed += n
        if self._rows_parsed > self.max_rows:
            raise BatchFileError(f"the batch has more than {self.max_rows:,} rows, the limit for one batch")
        return first_row

    def _check_fields(self, columns: dict[str, pa.Array], first_row: int) -> None:
        for name, column in columns.items():
            if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                continue
            lengths = pc.binary_length(column)
            longest = pc.max(lengths).as_py()
            if longest is not None and longest > self.max_field_bytes:
                index = pc.index(lengths, longest).as_py()
                raise BatchFileError(
                    f"row {first_row + index}: the {name!r} field is {longest:,} bytes; "
                    f"the limit is {self.max_field_bytes:,}"
                )

    def _make_chunk(self, first_row: int, content: Any, external_id: Any, metadata_json: pa.Array) -> ItemChunk:
        """The chunk's items; rows with empty content are left out and counted (validation reports them)."""
        content = _as_string_array(content, self.content_column)
        if external_id is None:
            external_id = pa.array([""] * len(content), pa.string())
        else:
            external_id = pc.fill_null(_as_string_array(external_id, ID_COLUMN), "")
            too_long = pc.greater(pc.utf8_length(external_id), MAX_EXTERNAL_ID)
            if pc.any(too_long).as_py():
                index = pc.index(too_long, True).as_py()
                raise BatchFileError(f"row {first_row + index}: 'id' is longer than {MAX_EXTERNAL_ID} characters")
        present = pc.invert(pc.fill_null(empty_content(content), True))
        empty = len(content) - (pc.sum(present).as_py() or 0)
        if empty:
            content, external_id, metadata_json = (c.filter(present) for c in (content, external_id, metadata_json))
        return ItemChunk(first_row, content, external_id, metadata_json, content_hashes(content), empty)

    # -- CSV -----------------------------------------------------------------------
    def _csv_chunks(self) -> Iterator[ItemChunk]:
        with self.path.open("rb") as raw:
            yield from self._csv_read(io.BufferedReader(_CountingReader(raw), buffer_size=1024 * 1024))

    def _csv_read(self, source: Any) -> Iterator[Any]:
        """The file's chunks as Arrow parses ``source``: options, checks, errors and progress for both readers."""
        names = self._csv_header()
        block_size = max(CHUNK_BYTES, 2 * self.max_field_bytes + 1024)
        if self._odd_quotes and (problem := self._diagnose_csv(len(names))):
            raise problem
        try:
            reader = pa_csv.open_csv(
                source,
                read_options=pa_csv.ReadOptions(block_size=block_size, column_names=names, skip_rows=1),
                parse_options=pa_csv.ParseOptions(newlines_in_values=True),
                convert_options=pa_csv.ConvertOptions(
                    column_types={n: pa.string() for n in names}, strings_can_be_null=False
                ),
            )
            before = 0.0
            for record_batch in reader:
                # Arrow reads blocks ahead, in its own threads, so how far the file has been
                # read says little: count the bytes of the rows parsed instead (the cells and
                # their separators; quotes are left out, so it stays just under the truth).
                parsed = sum(pc.sum(pc.binary_length(column)).as_py() or 0 for column in record_batch.columns)
                after = min(before + (parsed + record_batch.num_rows * len(names)) / self.size, 1.0)
                yield from self._csv_batch_chunks(record_batch, names, before, after)
                before = after
        except pa.ArrowInvalid as exc:
            raise self._diagnose_csv(len(names)) or BatchFileError(f"the CSV cannot be read: {exc}") from None

    def _csv_batch_chunks(
        self, record_batch: pa.RecordBatch, names: list[str], before: float = 0.0, after: float = 1.0
    ) -> Iterator[ItemChunk]:
        for start in range(0, record_batch.num_rows, self.chunk_rows):
            part = record_batch.slice(start, self.chunk_rows)
            self._fraction = before + (after - before) * (start + part.num_rows) / record_batch.num_rows
            first_row = self._count_rows(part.num_rows)
            columns = {name: part.column(i) for i, name in enumerate(names)}
            self._check_fields(columns, first_row)
            yield self._csv_part(first_row, columns, len(part))

    def _csv_part(self, first_row: int, columns: dict[str, pa.Array], rows: int) -> Any:
        metadata = {n: c for n, c in columns.items() if n not in (self.content_column, ID_COLUMN)}
        return self._make_chunk(
            first_row, columns[self.content_column], columns.get(ID_COLUMN), _csv_metadata_json(metadata, rows)
        )

    def _diagnose_csv(self, columns: int) -> BatchFileError | None:
        """Find the first malformed row with the exact (slow) parser; only runs on a bad file."""
        csv.field_size_limit(self.max_field_bytes)
        with self.path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            rows_done = 0
            try:
                next(reader, None)
                for rows_done, row in enumerate(reader, start=1):
                    if row and len(row) != columns:
                        return BatchFileError(
                            f"row {rows_done} (line {reader.line_num}): expected {columns} fields, found {len(row)}"
                        )
            except csv.Error as exc:
                # Count rows, not lines: they differ once a value holds newlines.
                row_number = rows_done + 1
                message = str(exc)
                if "field larger than field limit" in message:
                    message = f"a field is larger than {self.max_field_bytes:,} bytes, the limit"
                return BatchFileError(f"row {row_number} (line {reader.line_num}): {message}")
        return None

    # -- JSON Lines and JSON arrays ------------------------------------------------------
    def _records_to_chunk(self, records: list[dict[str, Any]], first_row: int) -> Any:
        self._check_record_columns(records, first_row)
        content, external_id, metadata = [], [], []
        for offset, record in enumerate(records):
            row = first_row + offset
            value = record.pop(self.content_column, None)
            if value is not None and not isinstance(value, str):
                raise BatchFileError(f"row {row}: {self.content_column!r} must be a string")
            content.append(value)
            identifier = record.pop(ID_COLUMN, None)
            external_id.append("" if identifier is None else str(identifier))
            text = json.dumps(record, ensure_ascii=False, default=_json_default)
            if len(text) > self.max_field_bytes or (value is not None and len(value) > self.max_field_bytes):
                raise BatchFileError(f"row {row}: larger than {self.max_field_bytes:,} bytes, the limit for a field")
            metadata.append(text)
        return self._make_chunk(
            first_row,
            pa.array(content, pa.string()),
            pa.array(external_id, pa.string()),
            pa.array(metadata, pa.string()),
        )

    def _jsonl_chunks(self) -> Iterator[ItemChunk]:
        line_limit = 4 * self.max_field_bytes
        with self.path.open("rb") as handle:
            records: list[dict[str, Any]] = []
            first_row = self._rows_parsed + 1
            for line_number, line in enumerate(handle, start=1):
                if len(line) > line_limit:
                    raise BatchFileError(f"row {line_number}: the line is longer than {line_limit:,} bytes")
                text = line.decode("utf-8-sig" if line_number == 1 else "utf-8").strip()
                if not text:
                    continue
                records.append(task_row(_jsonl_object(text, line_number), self.content_column, ID_COLUMN))
                if len(records) >= self.chunk_rows:
                    first_row = self._count_rows(len(records))
                    self._fraction = handle.tell() / self.size
                    yield self._records_to_chunk(records, first_row)
                    records = []
            if records:
                first_row = self._count_rows(len(records))
                yield self._records_to_chunk(records, first_row)

    def _json_chunks(self) -> Iterator[ItemChunk]:
        with self.path.open("rb") as raw:
            counting = _CountingReader(raw)
            records: list[dict[str, Any]] = []
            position = 0
            try:
                for position, record in enumerate(ijson.items(counting, "item"), start=1):
                    if not isinstance(record, dict):
                        raise BatchFileError(f"row {position}: each element must be an object")
                    _check_nesting(record, position)
                    records.append(_decimals_as_floats(task_row(record, self.content_column, ID_COLUMN)))
                    if len(records) >= self.chunk_rows:
                        first_row = self._count_rows(len(records))
                        self._fraction = counting.position / self.size
                        yield self._records_to_chunk(records, first_row)
                        records = []
            except ijson.JSONError as exc:
                raise BatchFileError(f"after row {position}: malformed JSON ({exc})") from None
            if records:
                first_row = self._count_rows(len(records))
                yield self._records_to_chunk(records, first_row)

    # -- Parquet ---------------------------------------------------------------------
    def _parquet_chunks(self) -> Iterator[ItemChunk]:
        try:
            parquet = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise BatchFileError(f"this is not a readable Parquet file: {exc}") from None
        check_parquet_schema(parquet.schema_arrow, content_column=self.content_column, max_columns=self.max_columns)
        names = parquet.schema_arrow.names
        total = max(parquet.metadata.num_rows, 1)
        try:
            for record_batch in parquet.iter_batches(batch_size=self.chunk_rows):
                record_batch = _dictionaries_decoded(record_batch)
                first_row = self._count_rows(record_batch.num_rows)
                columns = dict(zip(names, record_batch.columns, strict=True))
                self._check_fields(columns, first_row)
                self._fraction = self._rows_parsed / total
                yield self._parquet_part(first_row, record_batch, columns)
        except (pa.ArrowInvalid, OSError) as exc:
            raise BatchFileError(f"the Parquet file cannot be read past row {self._rows_parsed}: {exc}") from None

    def _parquet_part(self, first_row: int, record_batch: pa.RecordBatch, columns: dict[str, pa.Array]) -> Any:
        metadata = {n: c for n, c in columns.items() if n not in (self.content_column, ID_COLUMN)}
        return self._make_chunk(
            first_row,
            columns[self.content_column],
            columns.get(ID_COLUMN),
            _typed_metadata_json(metadata, record_batch.num_rows),
        )


def _dictionaries_decoded(record_batch: pa.RecordBatch) -> pa.RecordBatch:
    """Dictionary-encoded columns (what pandas writes for a category) as plain arrays of their values,
    so every later step sees the same types whether the writer encoded them or not."""
    if not any(pa.types.is_dictionary(column.type) for column in record_batch.columns):
        return record_batch
    columns = [
        column.dictionary_decode() if pa.types.is_dictionary(column.type) else column for column in record_batch.columns
    ]
    return pa.RecordBatch.from_arrays(columns, names=record_batch.schema.names)


def _decimals_as_floats(record: dict[str, Any]) -> dict[str, Any]:
    """ijson reads 1.5 as a Decimal where ``json`` (JSON Lines) reads a float: the same row in
    either format must give the same column types, or validation would tell them apart."""
    return {key: float(value) if isinstance(value, Decimal) else value for key, value in record.items()}


def _json_default(value: Any) -> Any:
    """Decimals (ijson's non-integer numbers; yajl's own number parser overflows past 64 bits) stay numbers."""
    return float(value) if isinstance(value, Decimal) else str(value)


def _as_string_array(column: Any, name: str) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_string(column.type):
        return column
    if pa.types.is_large_string(column.type) or pa.types.is_integer(column.type):
        return column.cast(pa.string())
    raise BatchFileError(f"the {name!r} column must hold text, not {column.type}")


_READ_AHEAD_DONE = object()


def _read_ahead(produced: Iterator[Any], depth: int = 1) -> Iterator[Any]:
    """Run ``produced`` in a thread, at most ``depth`` items ahead of the consumer.

    Parsing (Arrow, hashing) then overlaps with the database writing the previous chunk.
    An error in the thread is raised here, in order; a consumer that stops early stops the thread.
    """
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in produced:
                if not put((item, None)):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            put((_READ_AHEAD_DONE, exc))
        else:
            put((_READ_AHEAD_DONE, None))
        finally:
            produced.close()

    thread = threading.Thread(target=run, name="batch-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, error = handoff.get()
            if item is _READ_AHEAD_DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join()


def json_strings(column: pa.Array) -> pa.Array:
    """JSON string literals for a string column, built in Arrow (what ``json.dumps`` gives, nulls stay null).

    Only quote and backslash need escaping in common text; a column with control
    characters other than newline, return and tab goes through ``json.dumps``.
    """
    if not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    escaped = pc.replace_substring(column, "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    if pc.any(pc.match_substring_regex(escaped, _CONTROL)).as_py():
        for raw, code in (("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
            escaped = pc.replace_substring(escaped, raw, code)
        if pc.any(pc.match_substring_regex(escaped, _CONTROL)).as_py():
            values = column.to_pylist()
            return pa.array([None if v is None else json.dumps(v, ensure_ascii=False) for v in values], pa.string())
    return pc.binary_join_element_wise('"', escaped, '"', "")


_CONTROL = "[\\x00-\\x1f]"


def _join_objects(parts: dict[str, pa.Array], rows: int) -> pa.Array:
    """Assemble ``{"k": v, ...}`` per row from per-column JSON fragments, all in Arrow."""
    if not parts:
        return pa.array(["{}"] * rows, pa.string())
    pieces: list[Any] = []
    for index, (name, fragment) in enumerate(parts.items()):
        pieces.append(("{" if index == 0 else ", ") + json.dumps(name, ensure_ascii=False) + ": ")
        pieces.append(pc.fill_null(fragment, "null"))
    pieces.append("}")
    return pc.binary_join_element_wise(*pieces, "")


def _csv_metadata_json(columns: dict[str, pa.Array], rows: int) -> pa.Array:
    parts = {}
    for name, column in columns.items():
        column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
        valid = column.drop_null()
        if len(valid) and pc.all(pc.match_substring_regex(valid, JSON_NUMBER)).as_py():
            parts[name] = column
        else:
            parts[name] = json_strings(column)
    return _join_objects(parts, rows)


def _typed_metadata_json(columns: dict[str, pa.Array], rows: int) -> pa.Array:
    parts = {}
    for name, column in columns.items():
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
            parts[name] = column.cast(pa.string())
        elif pa.types.is_floating(kind):
            finite = pc.is_finite(column)
            parts[name] = pc.if_else(finite, column.cast(pa.string()), pa.scalar(None, pa.string()))
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            parts[name] = json_strings(column.cast(pa.string()))
        else:
            values = [
                None if v is None else json.dumps(v, ensure_ascii=False, default=_json_default)
                for v in column.to_pylist()
            ]
            parts[name] = pa.array(values, pa.string())
    return _join_objects(parts, rows)


def empty_content(content: pa.Array) -> pa.Array:
    """True where a content value is null or only whitespace."""
    return pc.or_(pc.is_null(content), pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(content)), 0))


def content_hashes(content: pa.Array) -> list[str]:
    """SHA-256 of each content value's UTF-8 bytes (no nulls): the item's identity within a project.

    Hashed from Arrow's own bytes, viewed as binary: no text is decoded to be encoded again."""
    return utf8_sha256(utf8_bytes(content))
