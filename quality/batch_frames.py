"""Reading a batch file as pandas DataFrames for validation, with the importer's parsers and limits.

Each frame carries ``__row__``, the 1-based row of the file, so a failed check can name
the rows a person should look at. The same reader, the same errors: a file the importer
cannot read fails here first, with the same message. Unlike the importer, rows with empty
content stay in (the validation reports them), and CSV cells are typed as the importer
stores them: a column whose every non-empty cell is a JSON number is numeric, empty cells
are null, anything else stays text.
"""

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from quality.batch_files import ID_COLUMN, JSON_NUMBER, BatchFileError, BatchReader

ROW_COLUMN = "__row__"
JSON_INTEGER = r"^-?(0|[1-9][0-9]*)$"


class FrameReader(BatchReader):
    """``chunks()`` yields DataFrames (content, ``id``, metadata columns and ``__row__``) instead of items."""

    def _csv_part(self, first_row: int, columns: dict[str, pa.Array], rows: int) -> pd.DataFrame:
        data = {}
        for name, column in columns.items():
            if name in (self.content_column, ID_COLUMN):
                data[name] = column.to_pandas()
            else:
                data[name] = csv_typed(column).to_pandas()
        return _with_rows(pd.DataFrame(data), first_row)

    def _records_to_chunk(self, records: list[dict[str, Any]], first_row: int) -> pd.DataFrame:
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
    if not len(valid) or not pc.all(pc.match_substring_regex(valid, JSON_NUMBER)).as_py():
        return column
    if pc.all(pc.match_substring_regex(valid, JSON_INTEGER)).as_py():
        try:
            return column.cast(pa.int64())
        except (pa.ArrowInvalid, OverflowError):  # beyond 64 bits: a float, as the JSON number reads
            pass
    return column.cast(pa.float64())


def _with_rows(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    frame[ROW_COLUMN] = np.arange(first_row, first_row + len(frame), dtype=np.int64)
    return frame
