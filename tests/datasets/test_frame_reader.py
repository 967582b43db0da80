"""Reading a batch as DataFrames for validation: the importer's parser, rows numbered, cells typed as stored."""

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasets.files.frames import ROW_COLUMN, FrameReader
from datasets.files.reader import BatchFileError, BatchReader


def frames(path, fmt: str, chunk_rows: int = 2) -> list:
    reader = FrameReader(path, fmt, content_column="text", max_rows=1000, max_field_bytes=10_000, chunk_rows=chunk_rows)
    return list(reader.chunks())


def test_csv_frames_number_rows_and_type_cells_as_the_importer_stores_them(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("id,text,rating,code,note\nr1,good,5,007,\nr2,  ,2,12,x\nr3,fine,,1,y\n", encoding="utf-8")
    parts = frames(path, "csv")
    assert [len(p) for p in parts] == [2, 1]
    assert [list(p[ROW_COLUMN]) for p in parts] == [[1, 2], [3]]
    first = parts[0]
    assert list(first["text"]) == ["good", "  "]  # empty content stays in: validation reports it
    assert list(first["rating"]) == [5, 2] and str(first["rating"].dtype) == "int64"
    assert list(first["code"]) == ["007", "12"]  # "007" is not a JSON number: the column stays text
    assert first["note"].isna().tolist() == [True, False]
    assert parts[1]["rating"].isna().all()


def test_jsonl_and_parquet_frames(tmp_path):
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in [{"text": "a", "n": 1}, {"id": "x"}, {"text": "c", "n": 3}]))
    parts = frames(jsonl, "jsonl", chunk_rows=10)
    assert list(parts[0][ROW_COLUMN]) == [1, 2, 3]
    assert parts[0]["text"].isna().tolist() == [False, True, False]

    buffer = io.BytesIO()
    pq.write_table(pa.table({"text": ["a", "b", "c"], "score": [0.5, 1.5, None]}), buffer)
    parquet = tmp_path / "b.parquet"
    parquet.write_bytes(buffer.getvalue())
    parts = frames(parquet, "parquet")
    assert [list(p[ROW_COLUMN]) for p in parts] == [[1, 2], [3]]
    assert parts[0]["score"].tolist() == [0.5, 1.5]


def test_a_json_array_gives_the_frame_the_same_rows_give_as_json_lines(tmp_path):
    rows = [{"text": "a", "price": 1.5, "n": 2, "big": 2**70}, {"text": "b", "price": None, "n": 3, "big": 1}]
    (tmp_path / "b.json").write_text(json.dumps(rows, indent=1))
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    from_array, from_lines = frames(tmp_path / "b.json", "json", 10)[0], frames(tmp_path / "b.jsonl", "jsonl", 10)[0]
    assert from_array.dtypes.to_dict() == from_lines.dtypes.to_dict()
    assert str(from_array["price"].dtype) == "float64" and from_array["price"].iloc[0] == 1.5
    assert from_array["big"].tolist() == from_lines["big"].tolist() == [2**70, 1]


def test_a_file_the_importer_cannot_read_fails_here_with_the_same_message(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,text\n1,ok\n2,bad,extra\n", encoding="utf-8")
    with pytest.raises(BatchFileError) as frame_error:
        frames(path, "csv")
    reader = BatchReader(path, "csv", content_column="text", max_rows=1000, max_field_bytes=10_000)
    with pytest.raises(BatchFileError) as import_error:
        list(reader.chunks())
    assert str(frame_error.value) == str(import_error.value) == "row 2 (line 3): expected 2 fields, found 3"


def test_the_importer_leaves_empty_rows_out_and_counts_them(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("id,text\n1,a\n2, \n3,c\n", encoding="utf-8")
    reader = BatchReader(path, "csv", content_column="text", max_rows=1000, max_field_bytes=10_000)
    chunks = list(reader.chunks())
    assert [c.content.to_pylist() for c in chunks] == [["a", "c"]]
    assert [c.external_id.to_pylist() for c in chunks] == [["1", "3"]]
    assert sum(c.empty for c in chunks) == 1 and reader.rows_read == 3
