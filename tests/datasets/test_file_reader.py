"""The batch file readers, alone: every format yields the same items, typed the same way."""

import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasets.files.frames import FrameReader
from datasets.files.reader import (
    MAX_NESTING,
    BatchFileError,
    BatchReader,
    content_hashes,
    format_for_name,
    sniff,
    upload_check,
)

ROWS = [
    {"id": "a1", "text": "plain", "score": "0.1", "big": "12345678901234567890", "tiny": "1e-7", "code": "007",
     "amount": "1,5", "note": "x"},
    {"id": "a2", "text": "two\nlines, with \"quotes\"", "score": "2", "big": "-3", "tiny": "0", "code": "12",
     "amount": "2", "note": ""},
    {"id": "", "text": "ünïcödé ✓", "score": "-1.25E+3", "big": "0", "tiny": "5", "code": "x",
     "amount": "3,0", "note": "y"},
]  # fmt: skip
EXPECTED = [
    (
        "plain",
        "a1",
        {"score": Decimal("0.1"), "big": 12345678901234567890, "tiny": Decimal("1e-7"), "code": "007",
         "amount": "1,5", "note": "x"},
    ),
    (
        'two\nlines, with "quotes"',
        "a2",
        {"score": 2, "big": -3, "tiny": 0, "code": "12", "amount": "2", "note": None},
    ),
    (
        "ünïcödé ✓",
        "",
        {"score": Decimal("-1.25E+3"), "big": 0, "tiny": 5, "code": "x", "amount": "3,0", "note": "y"},
    ),
]  # fmt: skip


def read(path: Path, fmt: str, **limits) -> list[tuple[str, str, dict]]:
    """(content, external id, metadata) of every row; metadata parsed exactly (decimals stay decimals)."""
    options = {"max_rows": 1000, "max_field_bytes": 1024 * 1024, "chunk_rows": 2, **limits}
    reader = BatchReader(path, fmt, content_column="text", **options)
    rows = []
    for chunk in reader.chunks():
        for content, external_id, metadata in zip(
            chunk.content.to_pylist(), chunk.external_id.to_pylist(), chunk.metadata_json.to_pylist(), strict=True
        ):
            rows.append((content, external_id, json.loads(metadata, parse_float=Decimal)))
    assert reader.rows_read == len(rows)
    assert reader.fraction_done == 1.0
    return rows


def csv_text(rows: list[dict], newline: str = "\n") -> str:
    def quote(value: str) -> str:
        if any(c in value for c in ',"\n\r'):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [",".join(rows[0])] + [",".join(quote(v) for v in row.values()) for row in rows]
    return newline.join(lines) + newline


def json_records() -> list[dict]:
    """The same rows as JSON would hold them: numbers as numbers, empty as null, no empty id."""
    records = []
    for row in ROWS:
        record = {"id": row["id"] or None, "text": row["text"]}
        for key in ("score", "big", "tiny"):
            record[key] = json.loads(row[key], parse_float=Decimal)
        record.update(code=row["code"], amount=row["amount"], note=row["note"] or None)
        records.append(record)
    return records


def json_dump(value) -> str:
    """JSON text with decimals written as the exact number literals they came from."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    for row in ROWS:
        for key in ("score", "tiny"):
            text = text.replace(f'"{key}": "{Decimal(row[key])}"', f'"{key}": {row[key]}')
    return text


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("plain.csv", lambda: csv_text(ROWS).encode()),
        ("bom.csv", lambda: b"\xef\xbb\xbf" + csv_text(ROWS).encode()),
        ("crlf.csv", lambda: csv_text(ROWS, "\r\n").encode()),
        ("bom-crlf.csv", lambda: b"\xef\xbb\xbf" + csv_text(ROWS, "\r\n").encode()),
        ("rows.jsonl", lambda: "\n".join(json_dump(r) for r in json_records()).encode()),
        ("bom.jsonl", lambda: b"\xef\xbb\xbf" + "\r\n".join(json_dump(r) for r in json_records()).encode() + b"\r\n\n"),
        ("rows.json", lambda: json_dump(json_records()).encode()),
    ],
)
def test_text_formats_yield_the_same_items(tmp_path, name, make):
    path = tmp_path / name
    path.write_bytes(make())
    assert read(path, format_for_name(name)) == EXPECTED


def test_json_text_keeps_numbers_exact(tmp_path):
    path = tmp_path / "exact.jsonl"
    path.write_text(json_dump(json_records()[0]))
    text = BatchReader(path, "jsonl", content_column="text", max_rows=10, max_field_bytes=10_000)
    metadata = next(text.chunks()).metadata_json.to_pylist()[0]
    # 0.1 and 1e-7 survive as the same numbers; the 20-digit integer is not rounded through a float.
    assert json.loads(metadata, parse_float=Decimal)["big"] == 12345678901234567890
    assert json.loads(metadata)["score"] == 0.1
    assert json.loads(metadata)["tiny"] == 1e-7


def test_csv_keeps_the_number_literals_as_written(tmp_path):
    path = tmp_path / "literal.csv"
    path.write_text(csv_text(ROWS))
    chunk = next(BatchReader(path, "csv", content_column="text", max_rows=10, max_field_bytes=10_000).chunks())
    first = chunk.metadata_json.to_pylist()[0]
    assert '"big": 12345678901234567890' in first
    assert '"tiny": 1e-7' in first
    assert '"code": "007"' in first and '"amount": "1,5"' in first


def test_parquet_yields_the_same_items(tmp_path):
    table = pa.table(
        {
            "id": pa.array(["a1", "a2", None]),
            "text": pa.array([row["text"] for row in ROWS]),
            "score": pa.array([0.1, 2.0, -1250.0], pa.float64()),
            "big": pa.array([12345678901234567890, 0, 0], pa.uint64()),
            "tiny": pa.array([1e-7, 0.0, 5.0]),
            "code": pa.array(["007", "12", "x"]),
            "amount": pa.array(["1,5", "2", "3,0"]),
            "note": pa.array(["x", None, "y"]),
        }
    )
    path = tmp_path / "rows.parquet"
    pq.write_table(table, path)
    rows = read(path, "parquet")
    assert [(content, external_id) for content, external_id, _ in rows] == [(c, e) for c, e, _ in EXPECTED]
    first = rows[0][2]
    assert (first["score"], first["big"], first["tiny"], first["code"], first["amount"]) == (
        Decimal("0.1"),
        12345678901234567890,
        Decimal("1e-7"),
        "007",
        "1,5",
    )
    assert rows[1][2]["note"] is None
    assert rows[2][2]["score"] == -1250


def test_parquet_integer_ids_become_text(tmp_path):
    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"id": [7, 8], "text": ["a", "b"]}), path)
    assert read(path, "parquet") == [("a", "7", {}), ("b", "8", {})]


def test_a_column_with_one_non_number_is_text_throughout(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("text,zip,score\na,02134,1\nb,10115,\nc,,3\n")
    assert read(path, "csv") == [
        ("a", "", {"zip": "02134", "score": 1}),
        ("b", "", {"zip": "10115", "score": None}),
        ("c", "", {"zip": None, "score": 3}),
    ]


def test_content_hashes_are_sha256_of_utf8_text():
    texts = ["plain", "ünïcödé ✓", "two\nlines"]
    assert content_hashes(pa.array(texts)) == [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    assert content_hashes(pa.array(["abc"])) == ["ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"]
    long_and_wide = ["é" * 5000, "\U0001f600 x " * 700, ""]  # long texts, a large_string array
    assert content_hashes(pa.array(long_and_wide, pa.large_string())) == [
        hashlib.sha256(t.encode("utf-8")).hexdigest() for t in long_and_wide
    ]


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("header-only.csv", b"id,text\n", "the file holds no rows"),
        ("empty-array.json", b"[]", "the file holds no rows"),
        ("ragged.csv", b"text,a\nx,1\ny,2,3\n", "row 2 (line 3): expected 2 fields, found 3"),
        ("nul.csv", b"text\nok\nbad\x00\n", "line 3: a NUL byte; this looks like a binary file, not text"),
        ("cp1252.jsonl", '{"text": "ok"}\n{"text": "café"}\n'.encode("cp1252"),
         "line 2: the file is not UTF-8 text; save it as UTF-8 and upload it again"),
        ("cut.jsonl", b'{"text": "ok"}\n{"text": "caf\xc3', "the file ends in the middle of a UTF-8 character"),
        ("long-id.csv", b"id,text\n" + b"i" * 256 + b",x\n", "row 1: 'id' is longer than 255 characters"),
        ("scalar.json", b'[{"text": "a"}, 3]', "row 2: each element must be an object"),
    ],
)  # fmt: skip
def test_bad_files_name_the_problem(tmp_path, name, content, error):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BatchFileError) as raised:
        read(path, format_for_name(name))
    assert str(raised.value) == error


def test_the_row_limit_counts_rows_not_lines(tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text('text\n"a\nb"\n"c\nd"\n"e"\n')
    assert [content for content, _, _ in read(path, "csv", max_rows=3)] == ["a\nb", "c\nd", "e"]
    with pytest.raises(BatchFileError, match=r"^the batch has more than 2 rows, the limit for one batch$"):
        read(path, "csv", max_rows=2)


def test_a_field_larger_than_a_read_block_names_its_row_after_multiline_rows(tmp_path):
    """The oversized field sits on line 7 but in row 3: the message must say row 3."""
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(b'id,text\n1,"multi\nline\nvalue"\n2,"another\nmulti"\n3,')
        handle.write(b"a" * (17 * 1024 * 1024))
        handle.write(b"\n4,after\n")
    with pytest.raises(BatchFileError) as raised:
        read(path, "csv", max_field_bytes=1000)
    assert str(raised.value) == "row 3 (line 7): a field is larger than 1,000 bytes, the limit"


def test_sniff_refuses_early_and_lets_a_cut_character_pass():
    with pytest.raises(BatchFileError, match="no 'text' column"):
        sniff(b"id,body\n1,x\n", "csv", content_column="text", complete=True)
    # The first 64 KB may end inside a character: only the rest of the file can tell.
    sniff(b"text\ncaf\xc3", "csv", content_column="text", complete=False)
    with pytest.raises(BatchFileError, match="not UTF-8"):
        sniff(b"text\ncaf\xc3", "csv", content_column="text", complete=True)


def test_format_for_name():
    assert [format_for_name(n) for n in ["a.CSV", "b.ndjson", "c.json", "d.pq", "e.txt", "f"]] == [
        "csv",
        "jsonl",
        "json",
        "parquet",
        None,
        None,
    ]


def test_image_projects_read_the_image_column(tmp_path):
    path = tmp_path / "images.jsonl"
    path.write_text('{"image": "https://example.com/1.png", "id": 1}\n')
    reader = BatchReader(path, "jsonl", content_column="image", max_rows=10, max_field_bytes=10_000)
    chunk = next(reader.chunks())
    assert (chunk.content.to_pylist(), chunk.external_id.to_pylist()) == (["https://example.com/1.png"], ["1"])


def test_parquet_decimals_stay_numbers(tmp_path):
    path = tmp_path / "decimal.parquet"
    pq.write_table(pa.table({"text": ["a"], "price": pa.array([Decimal("12.50")], pa.decimal128(6, 2))}), path)
    assert read(path, "parquet") == [("a", "", {"price": Decimal("12.5")})]


def test_a_quote_never_closed_is_an_error_naming_the_row(tmp_path):
    path = tmp_path / "open.csv"
    path.write_text('text,a\nok,1\n"open,2\nmore,3\n')
    reader = BatchReader(path, "csv", content_column="text", max_rows=10, max_field_bytes=1000)
    with pytest.raises(BatchFileError, match=r"row 2 .*unexpected end of data"):
        list(reader.chunks())


def test_a_lone_quote_inside_a_value_is_kept(tmp_path):
    path = tmp_path / "inch.csv"
    path.write_text('text,a\n5" screen,1\nok,2\n')
    reader = BatchReader(path, "csv", content_column="text", max_rows=10, max_field_bytes=1000)
    assert [v for chunk in reader.chunks() for v in chunk.content.to_pylist()] == ['5" screen', "ok"]


# -- wide headers -----------------------------------------------------------------------------
def check_upload(content: bytes, fmt: str, **limits) -> None:
    upload_check(io.BytesIO(content), fmt, size=len(content), content_column="text", **limits)


def wide_csv(columns: int, *, duplicate: str | None = None) -> bytes:
    names = ["text", *(f"c{n}" for n in range(1, columns))]
    if duplicate:
        names.append(duplicate)
    return (",".join(names) + "\n" + ",".join("v" for _ in names) + "\n").encode()


def test_a_header_longer_than_64_kb_is_read_whole_not_cut_mid_name(tmp_path: Path):
    content = wide_csv(16_744)
    assert content.index(b"\n") > 64 * 1024
    check_upload(content, "csv", max_columns=20_000)  # a cut header would have named 'c1094'-like columns twice
    path = tmp_path / "wide.csv"
    path.write_bytes(content)
    chunk = next(
        BatchReader(path, "csv", content_column="text", max_rows=10, max_field_bytes=100, max_columns=20_000).chunks()
    )
    assert len(json.loads(chunk.metadata_json[0].as_py())) == 16_743


def test_a_quoted_header_name_with_a_comma_or_a_line_break(tmp_path: Path):
    check_upload(b'text,"a,b"\nx,y\n', "csv")
    with pytest.raises(BatchFileError, match="line break"):
        check_upload(b'text,"a\nb"\nx,y\n', "csv")


def test_duplicate_names_are_found_among_sixty_thousand():
    # The quadratic count this replaced held a request for minutes at this width; bench/ times it, not this test.
    content = wide_csv(60_000, duplicate="c7")
    with pytest.raises(BatchFileError, match="names a column twice: 'c7'"):
        check_upload(content, "csv", max_columns=100_000)


def test_more_columns_than_the_limit_are_refused_at_upload_and_by_the_reader(tmp_path: Path):
    content = wide_csv(1_001)
    with pytest.raises(BatchFileError) as raised:
        check_upload(content, "csv")
    assert str(raised.value) == "the file has 1,001 columns; the limit is 1,000 columns per batch"
    path = tmp_path / "wide.csv"
    path.write_bytes(content)
    for reader_class in (BatchReader, FrameReader):
        with pytest.raises(BatchFileError, match="1,001 columns; the limit is 1,000"):
            list(reader_class(path, "csv", content_column="text", max_rows=10, max_field_bytes=100).chunks())


def test_a_header_past_the_byte_limit_is_refused_without_reading_on(monkeypatch):
    monkeypatch.setattr("datasets.files.reader.MAX_HEADER_BYTES", 200 * 1024)
    with pytest.raises(BatchFileError, match="the header is longer than 204,800 bytes"):
        check_upload(b'text,"' + b"x" * (1024 * 1024) + b"\n", "csv")


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_json_rows_wider_than_the_limit_fail_naming_the_row(tmp_path: Path, fmt: str):
    rows = [{"text": "narrow"}, {"text": "wide", **{f"c{n}": n for n in range(20)}}]
    path = tmp_path / f"wide.{fmt}"
    path.write_text("\n".join(map(json.dumps, rows)) if fmt == "jsonl" else json.dumps(rows))
    for reader_class in (BatchReader, FrameReader):
        reader = reader_class(path, fmt, content_column="text", max_rows=10, max_field_bytes=1000, max_columns=10)
        with pytest.raises(BatchFileError) as raised:
            list(reader.chunks())
        assert str(raised.value) == "row 2 has 21 columns; the limit is 10 columns per batch"
    # Each row narrow, together too wide: the batch's frame would be as wide as all of them.
    rows = [{"text": "t", f"c{n}": n} for n in range(12)]
    path.write_text("\n".join(map(json.dumps, rows)) if fmt == "jsonl" else json.dumps(rows))
    with pytest.raises(BatchFileError, match="row 10 brings the batch to more than 10 different columns"):
        list(FrameReader(path, fmt, content_column="text", max_rows=100, max_field_bytes=1000, max_columns=10).chunks())


def test_a_parquet_file_with_too_many_columns_is_refused_at_upload():
    buffer = io.BytesIO()
    pq.write_table(pa.table({"text": ["x"], **{f"c{n}": [n] for n in range(30)}}), buffer)
    with pytest.raises(BatchFileError, match="the file has 31 columns; the limit is 30"):
        check_upload(buffer.getvalue(), "parquet", max_columns=30)


# -- dictionary-encoded Parquet ----------------------------------------------------------------
def test_dictionary_encoded_text_reads_as_plain_text(tmp_path: Path):
    rows = 3_000
    frame = pd.DataFrame(
        {
            "id": pd.Categorical([f"r{n}" for n in range(rows)]),
            "text": pd.Categorical([f"text {n % 7}" for n in range(rows)]),
            "lang": pd.Categorical(["en", "fr", "de"] * (rows // 3)),
            "score": range(rows),
        }
    )
    path = tmp_path / "category.parquet"
    frame.to_parquet(path)
    assert pa.types.is_dictionary(pq.read_schema(path).field("text").type)
    check_upload(path.read_bytes(), "parquet")
    items = read(path, "parquet", chunk_rows=1000, max_rows=rows)
    assert len(items) == rows
    assert items[8] == ("text 1", "r8", {"lang": "de", "score": 8})

    frames = list(FrameReader(path, "parquet", content_column="text", max_rows=rows, max_field_bytes=100).chunks())
    assert not any(isinstance(frame[name].dtype, pd.CategoricalDtype) for frame in frames for name in frame)
    assert frames[0]["lang"].tolist()[:3] == ["en", "fr", "de"]


def test_a_dictionary_column_over_the_field_limit_is_still_refused(tmp_path: Path):
    path = tmp_path / "long.parquet"
    pd.DataFrame({"text": pd.Categorical(["short", "x" * 500])}).to_parquet(path)
    with pytest.raises(BatchFileError, match="row 2: the 'text' field is 500 bytes; the limit is 100"):
        read(path, "parquet", max_field_bytes=100)


@pytest.mark.parametrize(
    ("table", "error"),
    [
        (pa.table({"text": pa.array([1.5, 2.5])}), "the 'text' column must hold text, not double"),
        (
            pa.table({"text": pa.array(["a", "b"]).dictionary_encode(), "id": pa.array([1.5, 2.5])}),
            "the 'id' column must hold text or whole numbers, not double",
        ),
    ],
)
def test_a_parquet_column_of_the_wrong_type_is_refused_before_any_row_is_read(
    tmp_path: Path, monkeypatch, table, error
):
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path, row_group_size=1)
    with pytest.raises(BatchFileError) as raised:
        check_upload(path.read_bytes(), "parquet")
    assert str(raised.value) == error

    def no_rows(*args, **kwargs):
        raise AssertionError("rows were read before the schema was checked")

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", no_rows)
    for reader_class in (BatchReader, FrameReader):
        with pytest.raises(BatchFileError) as raised:
            list(reader_class(path, "parquet", content_column="text", max_rows=10, max_field_bytes=100).chunks())
        assert str(raised.value) == error


# -- what is wrong with the file, in the user's words ----------------------------------------------
@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("text\nhello\n".encode("utf-16"), "UTF-16"),  # with its byte order mark
        ("text\nhello\n".encode("utf-16-be"), "UTF-16"),  # without one
        ("text\nhello\n".encode("utf-16-le"), "UTF-16"),
        ("text\nhello\n".encode("utf-32"), "UTF-32"),
    ],
)
def test_utf16_and_utf32_are_named_not_called_binary(tmp_path: Path, content: bytes, encoding: str):
    message = f"the file is {encoding} text; save it as UTF-8 and upload it again"
    with pytest.raises(BatchFileError) as raised:
        check_upload(content, "csv")
    assert str(raised.value) == message
    path = tmp_path / "wide.csv"
    path.write_bytes(content)
    for reader_class in (BatchReader, FrameReader):
        with pytest.raises(BatchFileError) as raised:
            list(reader_class(path, "csv", content_column="text", max_rows=10, max_field_bytes=100).chunks())
        assert str(raised.value) == message


def test_a_workbook_is_named_as_one():
    with pytest.raises(BatchFileError, match=r"ZIP archive \(an Excel .xlsx workbook is one\); export it as CSV"):
        check_upload(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "csv")


def nested(depth: int) -> str:
    return "[" * (depth - 1) + "]" * (depth - 1)


def test_a_deeply_nested_row_is_refused_by_name_not_by_recursion(tmp_path: Path):
    rows = ['{"text": "a"}', '{"text": "b", "m": [[1]]}', '{"text": "c", "m": ' + nested(5_000) + "}"]
    path = tmp_path / "deep.jsonl"
    path.write_text("\n".join(rows) + "\n")
    message = f"row 3 nests deeper than {MAX_NESTING} levels of objects and lists, the limit"
    for reader_class in (BatchReader, FrameReader):
        with pytest.raises(BatchFileError) as raised:
            list(reader_class(path, "jsonl", content_column="text", max_rows=10, max_field_bytes=100_000).chunks())
        assert str(raised.value) == message
    with pytest.raises(BatchFileError, match="row 1 nests deeper"):
        check_upload(("\n".join(rows[::-1]) + "\n").encode(), "jsonl")

    # Deeper than the limit but shallow enough to parse, and in a JSON array: the same message.
    path = tmp_path / "deep.json"
    path.write_text("[" + ",".join([*rows[:2], '{"text": "c", "m": ' + nested(MAX_NESTING + 1) + "}"]) + "]")
    with pytest.raises(BatchFileError, match="row 3 nests deeper"):
        list(BatchReader(path, "json", content_column="text", max_rows=10, max_field_bytes=100_000).chunks())
    # Brackets in a string are text, not nesting.
    path = tmp_path / "brackets.jsonl"
    path.write_text(json.dumps({"text": "[" * 500, "m": {"a": [1]}}) + "\n")
    assert read(path, "jsonl") == [("[" * 500, "", {"m": {"a": [1]}})]
