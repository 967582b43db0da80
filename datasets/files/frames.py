"""Reading a batch file as pandas DataFrames for validation, with the importer's parsers and limits.

Each frame carries ``__row__``, the 1-based row of the file, so a failed check can name
the rows a person should look at. The same reader, the same errors: a file the importer
cannot read fails here first, with the same message. Unlike the importer, rows with empty
content stay in (the validation reports them), and CSV cells are typed as the importer
stores them: a column whose every non-empty cell is a JSON number is numeric, empty cells
are null, anything else stays text.
"""

import codecs
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from datasets.files.reader import (
    ID_COLUMN,
    JSON_NUMBER,
    BatchFileError,
    BatchReader,
    _line_of,
)

ROW_COLUMN = "__row__"
JSON_INTEGER = r"^-?(0|[1-9][0-9]*)$"
ENCODING_BLOCK = 16 * 1024 * 1024


class FrameReader(BatchReader):
    """``chunks()`` yields DataFrames (content, ``id``, metadata columns and ``__row__``) instead of items."""

    def _check_text_encoding(self) -> None:
        """``BatchReader._check_text_encoding`` (same checks, same messages), quicker on valid text.

        A block of ASCII with no character left open before it is UTF-8 as it is: it is not decoded
        (which builds a 16 MB string). Lines are counted only to name the line of an error.
        """
        self._check_text_start()
        decoder = codecs.getincrementaldecoder("utf-8")()
        quotes = offset = 0
        with self.path.open("rb") as handle:
            while block := handle.read(ENCODING_BLOCK):
                nul = block.find(b"\x00")
                if nul >= 0:
                    line = self._lines_before(offset) + _line_of(block, nul)
                    raise BatchFileError(f"line {line}: a NUL byte; this looks like a binary file, not text")
                if decoder.getstate()[0] or not block.isascii():
                    try:
                        decoder.decode(block)
                    except UnicodeDecodeError as exc:
                        line = self._lines_before(offset) + _line_of(block, max(exc.start, 0))
                        raise BatchFileError(
                            f"line {line}: the file is not UTF-8 text; save it as UTF-8 and upload it again"
                        ) from None
                quotes += block.count(b'"')
                offset += len(block)
            # Well-formed CSV quotes in pairs; an odd count may be a quote never closed, which
            # Arrow would silently read as one value running to the end of the file.
            self._odd_quotes = quotes % 2 == 1
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise BatchFileError("the file ends in the middle of a UTF-8 character") from None

    def _lines_before(self, offset: int) -> int:
        """Newlines in the file's first ``offset`` bytes."""
        lines = 0
        with self.path.open("rb") as handle:
            while offset > 0 and (block := handle.read(min(ENCODING_BLOCK, offset))):
                lines += block.count(b"\n")
                offset -= len(block)
        return lines

    def _csv_chunks(self) -> Iterator[pd.DataFrame]:
        """``BatchReader._csv_chunks`` (same options, checks, errors and progress), Arrow reading the file itself.

        The importer hands Arrow a Python file: Arrow's I/O thread then reads ahead up to 32 blocks
        into 8 MB bytes objects, and the C allocator keeps that memory once they are freed. Read
        natively, the blocks come from Arrow's pool, which the parsed columns reuse, and no
        Arrow thread calls into Python (nothing left to run as the interpreter exits).
        """
        with pa.OSFile(str(self.path)) as source:
            yield from self._csv_read(source)

    def _csv_part(self, first_row: int, columns: dict[str, pa.Array], rows: int) -> pd.DataFrame:
        data = {}
        for name, column in columns.items():
            if name in (self.content_column, ID_COLUMN):
                data[name] = column.to_pandas()
            else:
                data[name] = csv_typed(column).to_pandas()
        return _with_rows(pd.DataFrame(data), first_row)

    def _records_to_chunk(self, records: list[dict[str, Any]], first_row: int) -> pd.DataFrame:
        self._check_record_columns(records, first_row)
        limit = self.max_field_bytes
        for offset, record in enumerate(records):
            value = record.get(self.content_column)
            if value is not None and not isinstance(value, str):
                raise BatchFileError(f"row {first_row + offset}: {self.content_column!r} must be a string")
            if value is not None and len(value) > limit:
                raise BatchFileError(f"row {first_row + offset}: larger than {limit:,} bytes, the limit for a field")
        frame = pd.DataFrame.from_records(records)
        if self.content_column not in frame.columns:
            frame[self.content_column] = None
        return _with_rows(frame, first_row)

    def _parquet_part(self, first_row: int, record_batch: pa.RecordBatch, columns: dict[str, pa.Array]) -> pd.DataFrame:
        return _with_rows(record_batch.to_pandas(), first_row)


def csv_typed(column: pa.Array) -> pa.Array:
    """A CSV column of text as the importer stores it: empty is null, all-number columns are numbers."""
    column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
    valid = column.drop_null()
    # The patterns run on distinct values (a rating column has a handful), after one value:
    # a column of text is most often told by its first.
    if not len(valid) or not pc.match_substring_regex(valid.slice(0, 1), JSON_NUMBER)[0].as_py():
        return column
    distinct = pc.unique(valid)
    if not pc.all(pc.match_substring_regex(distinct, JSON_NUMBER)).as_py():
        return column
    if pc.all(pc.match_substring_regex(distinct, JSON_INTEGER)).as_py():
        try:
            return column.cast(pa.int64())
        except (pa.ArrowInvalid, OverflowError):  # beyond 64 bits: a float, as the JSON number reads
            pass
    return column.cast(pa.float64())


def _with_rows(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    frame[ROW_COLUMN] = np.arange(first_row, first_row + len(frame), dtype=np.int64)
    return frame
