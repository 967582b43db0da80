"""Uploading batches through the API: clear 4xx for what can never work, ``failed`` naming the row for the
rest, and never a half-stored batch."""

import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile

from datasets.models import Batch, DatasetVersion, Item
from quality.pipeline import services
from tests.projects.helpers import csv_bytes, import_file


def upload(client, project, name: str, content: bytes, **extra):
    return client.post(
        f"/api/projects/{project.pk}/batches/", {"file": SimpleUploadedFile(name, content), **extra}, format="multipart"
    )


def run(batch_id: str) -> Batch:
    """Import a queued batch in this process, as a worker would."""
    services.batch_import(batch_id=batch_id)
    return Batch.objects.get(pk=batch_id)


@pytest.fixture
def with_v1(project, manager) -> int:
    """``project`` with version 1 of two items: a failure must leave exactly this behind."""
    batch = import_file(project, manager, "v1.csv", csv_bytes("kept one", "kept two"))
    assert batch.status == "accepted"
    return batch.version.pk


def assert_nothing_stored(project, batch: Batch | None = None) -> None:
    assert list(Item.objects.filter(project=project).values_list("data__text", flat=True).order_by("id")) == [
        "kept one",
        "kept two",
    ]
    assert list(DatasetVersion.objects.filter(project=project).values_list("number", flat=True)) == [1]
    if batch is not None:
        assert batch.version is None
        assert not Item.objects.filter(batch=batch).exists()


# -- success -------------------------------------------------------------------------
def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": ["first", "second"], "channel": ["web", "app"]}), buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("b.csv", b"id,text,channel\np1,first,web\np2,second,app\n"),
        (
            "b.jsonl",
            b'{"id": "p1", "text": "first", "channel": "web"}\n{"id": "p2", "text": "second", "channel": "app"}\n',
        ),
        (
            "b.json",
            b'[{"id": "p1", "text": "first", "channel": "web"}, {"id": "p2", "text": "second", "channel": "app"}]',
        ),
        ("b.parquet", parquet_bytes()),
    ],
)
def test_an_upload_answers_202_and_becomes_a_version(api_client, project, manager, name, content):
    client = api_client(manager)
    response = upload(client, project, name, content)
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"id", "status"} and body["status"] == "queued"
    assert client.get(f"/api/batches/{body['id']}/").json()["status"] == "queued"

    run(body["id"])
    detail = client.get(f"/api/batches/{body['id']}/").json()
    assert (detail["status"], detail["version"], detail["progress"], detail["error"]) == ("accepted", 1, 1.0, "")
    assert (detail["rows_total"], detail["rows_added"], detail["rows_duplicate"]) == (2, 2, 0)
    assert detail["original_name"] == name
    items = client.get(f"/api/projects/{project.pk}/items/").json()["results"]
    assert [(i["external_id"], i["data"], i["metadata"]) for i in items] == [
        ("p1", {"text": "first"}, {"channel": "web"}),
        ("p2", {"text": "second"}, {"channel": "app"}),
    ]


def test_the_batch_list_shows_uploads_newest_first(api_client, project, manager, with_v1):
    client = api_client(manager)
    batch_id = upload(client, project, "second.csv", csv_bytes("new")).json()["id"]
    listed = client.get(f"/api/projects/{project.pk}/batches/").json()
    assert [(b["original_name"], b["status"]) for b in listed["results"]] == [
        ("second.csv", "queued"),
        ("v1.csv", "accepted"),
    ]
    assert listed["results"][0]["id"] == batch_id


# -- refused at upload ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "detail"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"  \n\r\n", "the file is empty"),
        ("empty.jsonl", b"", "the file is empty"),
        ("header.csv", b"id,text\r\n\r\n", "the file holds no rows: only the header"),
        ("none.json", b" [ \n ] ", "the file holds no rows: the JSON array is empty"),
        (
            "image.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
            "this looks like a binary file, not CSV text (it holds NUL bytes)",
        ),
        (
            "latin1.csv",
            "id,text\n1,ok\n2,café\n".encode("cp1252"),
            "the file is not UTF-8 text: byte 0xe9 on line 3; save it as UTF-8 and upload it again",
        ),
        ("fake.parquet", b"id,text\n1,a\n", "this is not a Parquet file (it does not start with PAR1)"),
        ("notext.csv", b"id,body\n1,hello\n", "the header has no 'text' column (found: 'id', 'body')"),
        ("twice.csv", b"text,id,text\na,1,b\n", "the header names a column twice: 'text'"),
        ("array.json", b'{"text": "not an array"}', "a JSON batch must be an array of objects: [{...}, {...}]"),
        ("bad.jsonl", b'{"text": "a",}\n{"text": "b"}\n', "row 1: not valid JSON (Expecting property name enclosed "
         "in double quotes at column 14)"),
        ("list.jsonl", b'["a"]\n{"text": "b"}\n', "row 1: each line must be a JSON object, not list"),
        (
            "data.txt",
            b"text\nhello\n",
            "unsupported file type: upload .csv, .jsonl, .json or .parquet (or say which with 'format')",
        ),
        ("noextension", b"text\nhello\n", "unsupported file type: upload .csv, .jsonl, .json or .parquet "
         "(or say which with 'format')"),
    ],
)  # fmt: skip
def test_files_that_can_never_work_answer_400(api_client, project, manager, with_v1, name, content, detail):
    response = upload(api_client(manager), project, name, content)
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": detail}
    assert Batch.objects.filter(project=project).count() == 1
    assert_nothing_stored(project)


def test_a_missing_file_or_unknown_format_is_a_field_error(api_client, project, manager):
    client = api_client(manager)
    response = client.post(f"/api/projects/{project.pk}/batches/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["No file was submitted."]}
    response = upload(client, project, "b.csv", b"text\na\n", format="xml")
    assert response.status_code == 400
    assert response.json() == {"format": ['"xml" is not a valid choice.']}
    assert not Batch.objects.exists()


def test_a_json_body_instead_of_multipart_is_415(api_client, project, manager):
    response = api_client(manager).post(f"/api/projects/{project.pk}/batches/", {"file": "text"}, format="json")
    assert response.status_code == 415
    assert not Batch.objects.exists()


def test_an_explicit_format_overrides_the_name(api_client, project, manager):
    client = api_client(manager)
    response = upload(client, project, "export.txt", b'{"text": "from a .txt"}\n', format="jsonl")
    assert response.status_code == 202, response.content
    assert run(response.json()["id"]).status == "accepted"


def test_a_file_over_the_size_limit_answers_413(api_client, project, manager, with_v1, settings):
    settings.GROUNDWORK_MAX_UPLOAD_BYTES = 100
    client = api_client(manager)
    exactly = b"text\n" + b"a" * 94 + b"\n"
    assert len(exactly) == 100
    response = upload(client, project, "big.csv", exactly + b"b")
    assert response.status_code == 413
    assert response.json() == {"detail": "the file is 101 bytes; the limit is 100"}
    assert Batch.objects.filter(project=project).count() == 1
    response = upload(client, project, "fits.csv", exactly)
    assert response.status_code == 202, response.content


def test_a_request_body_far_over_the_limit_is_refused_before_it_is_read(
    api_client, project, manager, with_v1, settings
):
    settings.GROUNDWORK_MAX_UPLOAD_BYTES = 100
    response = upload(api_client(manager), project, "huge.csv", b"text\n" + b"a" * (100 * 1024) + b"\n")
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert detail.startswith("the upload is ") and detail.endswith(" bytes; the limit is 100")
    assert Batch.objects.filter(project=project).count() == 1
    assert_nothing_stored(project)


# -- accepted at upload, failed at import ------------------------------------------------------
def upload_and_run(client, project, name: str, content: bytes) -> Batch:
    response = upload(client, project, name, content)
    assert response.status_code == 202, response.content
    batch = run(response.json()["id"])
    assert batch.status == "failed", (batch.status, batch.error)
    assert client.get(f"/api/batches/{batch.pk}/").json()["error"] == batch.error
    return batch


def test_a_non_utf8_byte_past_the_first_64_kb_fails_naming_the_line(api_client, project, manager, with_v1, settings):
    settings.GROUNDWORK_IMPORT_CHUNK_ROWS = 100
    rows = [f"r{n},row number {n}" for n in range(1, 5001)]
    content = ("id,text\n" + "\n".join(rows) + "\nr5001,caf").encode() + b"\xe9\nr5002,after\n"
    assert content.index(b"\xe9") > 64 * 1024
    batch = upload_and_run(api_client(manager), project, "latin1.csv", content)
    assert batch.error == "line 5002: the file is not UTF-8 text; save it as UTF-8 and upload it again"
    assert_nothing_stored(project, batch)


def test_more_rows_than_the_limit_fail(api_client, project, manager, with_v1, settings):
    settings.GROUNDWORK_MAX_BATCH_ROWS = 3
    settings.GROUNDWORK_IMPORT_CHUNK_ROWS = 2
    client = api_client(manager)
    batch = upload_and_run(client, project, "four.csv", csv_bytes("a", "b", "c", "d"))
    assert batch.error == "the batch has more than 3 rows, the limit for one batch"
    assert_nothing_stored(project, batch)
    response = upload(client, project, "three.csv", csv_bytes("a", "b", "c"))
    assert run(response.json()["id"]).status == "accepted"


def test_a_field_over_the_field_limit_fails_naming_row_and_limit(api_client, project, manager, with_v1, settings):
    settings.GROUNDWORK_MAX_FIELD_BYTES = 10
    batch = upload_and_run(api_client(manager), project, "long.csv", b"id,text\n1,short\n2,eleven char\n")
    assert batch.error == "row 2: the 'text' field is 11 bytes; the limit is 10"
    assert_nothing_stored(project, batch)


def test_a_100_mb_field_fails_naming_the_row_and_the_limit(project, manager, with_v1, settings, tmp_path: Path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(b"id,text,note\nr1,small,x\nr2,")
        block = b"a" * (1024 * 1024)
        for _ in range(100):
            handle.write(block)
        handle.write(b",x\nr3,after,x\n")
    size = path.stat().st_size
    assert size > 100 * 1024 * 1024
    with path.open("rb") as handle:
        batch = services.batch_upload(
            project=project, user=manager, uploaded=UploadedFile(handle, name="huge.csv", size=size), enqueue=False
        )
    batch = run(str(batch.pk))
    assert batch.status == "failed"
    assert settings.GROUNDWORK_MAX_FIELD_BYTES == 1024 * 1024
    assert batch.error == "row 2 (line 3): a field is larger than 1,048,576 bytes, the limit"
    assert_nothing_stored(project, batch)


def test_a_row_with_the_wrong_field_count_fails_naming_it(api_client, project, manager, with_v1):
    batch = upload_and_run(api_client(manager), project, "ragged.csv", b"id,text\n1,ok\n2,bad,extra\n3,fine\n")
    assert batch.error == "row 2 (line 3): expected 2 fields, found 3"
    assert_nothing_stored(project, batch)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("gap.csv", b"id,text\n1,a\n2,b\n3,c\n4,  \n"),
        ("gap.jsonl", b'{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n{"id": "x"}\n'),
    ],
)
def test_an_empty_text_is_a_check_result_naming_the_row(api_client, project, manager, with_v1, settings, name, content):
    """An empty text no longer fails the file: the batch is quarantined with the row named, nothing stored."""
    settings.GROUNDWORK_IMPORT_CHUNK_ROWS = 2
    client = api_client(manager)
    batch = run(upload(client, project, name, content).json()["id"])
    assert (batch.status, batch.error) == ("quarantined", "")
    empty = next(r for r in batch.results if r["check"] == "empty_content")
    assert (empty["success"], empty["severity"], empty["unexpected_count"]) == (False, "critical", 1)
    assert [sample["row"] for sample in empty["samples"]] == [4]
    assert client.get(f"/api/batches/{batch.pk}/").json()["results"] == batch.results
    assert_nothing_stored(project, batch)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (
            b'{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n{"text": "d",}\n',
            "row 4: not valid JSON (Expecting property name enclosed in double quotes at column 14)",
        ),
        (b'{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n42\n', "row 4: each line must be a JSON object, not int"),
        (b'{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n{"text": 5}\n', "row 4: 'text' must be a string"),
    ],
)
def test_a_bad_jsonl_line_fails_naming_the_row(api_client, project, manager, with_v1, settings, content, error):
    settings.GROUNDWORK_IMPORT_CHUNK_ROWS = 2  # rows 1-2 are written before row 4 is read
    batch = upload_and_run(api_client(manager), project, "bad.jsonl", content)
    assert batch.error == error
    assert_nothing_stored(project, batch)


def test_a_truncated_json_array_fails(api_client, project, manager, with_v1):
    batch = upload_and_run(api_client(manager), project, "cut.json", b'[{"text": "a"}, {"text": "b"}, {"text": "c"')
    assert batch.error.startswith("after row 2: malformed JSON"), batch.error
    assert_nothing_stored(project, batch)


def test_a_parquet_schema_is_checked_at_upload(api_client, project, manager, with_v1):
    """Its columns and their types are in the file's footer: refused before anything is stored or read."""
    client = api_client(manager)
    for table, detail in [
        (pa.table({"body": ["x"]}), "the header has no 'text' column (found: 'body')"),
        (pa.table({"text": [1, 2]}), "the 'text' column must hold text, not int64"),
    ]:
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        response = upload(client, project, "typed.parquet", buffer.getvalue())
        assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert Batch.objects.filter(project=project).count() == 1
    assert_nothing_stored(project)


def test_dictionary_encoded_parquet_text_imports(api_client, project, manager):
    """What pandas writes for category columns."""
    buffer = io.BytesIO()
    frame = pd.DataFrame(
        {"text": pd.Categorical([f"text {n}" for n in range(2_000)]), "lang": pd.Categorical(["en", "fr"] * 1_000)}
    )
    frame.to_parquet(buffer)
    response = upload(api_client(manager), project, "category.parquet", buffer.getvalue())
    assert response.status_code == 202, response.content
    batch = run(response.json()["id"])
    assert (batch.status, batch.rows_added, batch.error) == ("accepted", 2_000, "")
    assert Item.objects.get(batch=batch, data__text="text 3").metadata == {"lang": "fr"}


def test_a_header_wider_than_the_column_limit_answers_400_naming_it(api_client, project, manager, with_v1, settings):
    settings.GROUNDWORK_MAX_COLUMNS = 50
    names = ["id", "text", *(f"column_with_a_long_name_{n:05}" for n in range(3_000))]
    content = (",".join(names) + "\n" + ",".join("x" for _ in names) + "\n").encode()
    assert content.index(b"\n") > 64 * 1024
    response = upload(api_client(manager), project, "wide.csv", content)
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "the file has 3,002 columns; the limit is 50 columns per batch"}
    assert_nothing_stored(project)


def test_a_json_lines_row_wider_than_the_column_limit_fails_naming_the_row(
    api_client, project, manager, with_v1, settings
):
    settings.GROUNDWORK_MAX_COLUMNS = 50
    rows = [{"text": "narrow"}, {"text": "wide", **{f"c{n}": n for n in range(100)}}]
    batch = upload_and_run(api_client(manager), project, "wide.jsonl", "\n".join(map(json.dumps, rows)).encode())
    assert batch.error == "row 2 has 101 columns; the limit is 50 columns per batch"
    assert_nothing_stored(project, batch)


def test_a_utf16_file_is_named_as_one_at_upload(api_client, project, manager, with_v1):
    response = upload(api_client(manager), project, "excel.csv", "id,text\nr1,héllo\n".encode("utf-16"))
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "the file is UTF-16 text; save it as UTF-8 and upload it again"}


def test_a_deeply_nested_row_fails_naming_the_row_and_the_limit(api_client, project, manager, with_v1):
    lines = ['{"text": "a"}', '{"text": "b"}', '{"text": "c", "m": ' + "[" * 3_000 + "]" * 3_000 + "}"]
    batch = upload_and_run(api_client(manager), project, "deep.jsonl", "\n".join(lines).encode())
    assert batch.error == "row 3 nests deeper than 100 levels of objects and lists, the limit"
    assert_nothing_stored(project, batch)
    # The first row too deep: refused at upload, not a 500.
    response = upload(api_client(manager), project, "deep.jsonl", "\n".join(lines[::-1]).encode())
    assert response.status_code == 400, response.content
    assert "row 1 nests deeper than 100 levels" in response.json()["detail"]


def test_a_batch_of_only_duplicates_makes_no_version(api_client, project, manager, with_v1):
    client = api_client(manager)
    response = upload(client, project, "again.csv", csv_bytes("kept two", "kept one"))
    batch = run(response.json()["id"])
    assert (batch.status, batch.rows_added, batch.rows_duplicate, batch.version) == ("accepted", 0, 2, None)
    assert_nothing_stored(project)


# -- the file, served back ---------------------------------------------------------------------
def test_the_file_is_served_as_an_opaque_attachment_whatever_its_name(api_client, project, manager):
    client = api_client(manager)
    content = b"text\n<script>alert(1)</script>\n"
    response = upload(client, project, "evil.html", content, format="csv")
    assert response.status_code == 202, response.content
    batch_id = response.json()["id"]
    assert client.get(f"/api/batches/{batch_id}/").json()["original_name"] == "evil.html"

    response = client.get(f"/api/batches/{batch_id}/file/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="batch-{batch_id}.csv"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content


def test_the_stored_name_comes_from_the_content_not_the_uploader(api_client, project, manager):
    response = upload(api_client(manager), project, "../../etc/passwd.csv", b"text\nhello\n")
    assert response.status_code == 202
    batch = Batch.objects.get(pk=response.json()["id"])
    assert batch.original_name == "passwd.csv"
    assert batch.file.name == f"batches/{batch.file_sha256[:2]}/{batch.file_sha256}.csv"


def test_batch_detail_shape(api_client, project, manager, with_v1):
    batch = Batch.objects.get(project=project)
    body = api_client(manager).get(f"/api/batches/{batch.pk}/").json()
    assert {k: body[k] for k in ("id", "project", "status", "version", "error", "uploaded_by")} == {
        "id": str(batch.pk),
        "project": project.pk,
        "status": "accepted",
        "version": 1,
        "error": "",
        "uploaded_by": "manager",
    }
    assert body["results"][-1] == {
        "check": "import",
        "type": "import",
        "severity": "info",
        "success": True,
        "rows": 2,
        "added": 2,
        "duplicates": 0,
        "empty": 0,
        "message": "",
    }
    assert all(result["success"] for result in body["results"])
    assert body["summary"]["critical_failed"] == 0 and body["summary"]["rows"] == 2
    assert json.dumps(body)  # plain JSON all the way down


# -- what an import stores -------------------------------------------------------------------
def test_metadata_types_survive_storage(api_client, project, manager):
    content = (
        b"id,text,score,big,tiny,code,amount,note\n"
        b'm1,first,0.1,12345678901234567890,1e-7,007,"1,5",\n'
        b"m2,second,2,-3,0,12,2,x\n"
    )
    assert import_file(project, manager, "typed.csv", content).status == "accepted"
    items = api_client(manager).get(f"/api/projects/{project.pk}/items/").json()["results"]
    assert [item["metadata"] for item in items] == [
        {"score": 0.1, "big": 12345678901234567890, "tiny": 1e-7, "code": "007", "amount": "1,5", "note": None},
        {"score": 2, "big": -3, "tiny": 0, "code": "12", "amount": "2", "note": "x"},
    ]


def test_a_json_array_with_a_20_digit_integer_imports(api_client, project, manager):
    content = b'[{"text": "a", "big": 12345678901234567890, "score": 0.1, "tiny": 1e-7}]'
    batch = import_file(project, manager, "big.json", content)
    assert batch.status == "accepted", batch.error
    item = Item.objects.get(batch=batch)
    assert item.metadata == {"big": 12345678901234567890, "score": 0.1, "tiny": 1e-7}


def test_duplicates_within_the_batch_and_against_the_dataset_are_counted(project, manager):
    import hashlib

    first = import_file(project, manager, "one.csv", csv_bytes("a", "b", "a"))
    assert (first.rows_total, first.rows_added, first.rows_duplicate) == (3, 2, 1)
    assert (first.version.number, first.version.item_count, first.version.duplicate_count) == (1, 2, 1)
    second = import_file(project, manager, "two.csv", csv_bytes("b", "c", "c", "d"))
    assert (second.rows_total, second.rows_added, second.rows_duplicate) == (4, 2, 2)
    version = second.version
    assert (version.number, version.parent.number, version.item_count) == (2, 1, 4)
    assert (version.added_count, version.duplicate_count) == (2, 2)
    stored = dict(Item.objects.filter(project=project).values_list("data__text", "content_hash"))
    assert stored == {text: hashlib.sha256(text.encode("utf-8")).hexdigest() for text in "abcd"}
    # The first occurrence is the one kept, with its own external id.
    assert list(Item.objects.filter(project=project).values_list("external_id", flat=True).order_by("id")) == [
        "r1",
        "r2",
        "r2",
        "r4",
    ]
