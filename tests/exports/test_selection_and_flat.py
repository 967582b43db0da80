"""Exports of a selection (the items API's filters) and the flat CSV layout."""

import csv
import io
import json
import random

import pytest

from labeling.exports import records
from labeling.review.selectors import final_labels
from tests.explorer.conftest import import_rows, submit
from tests.factories import ProjectFactory, UserFactory, add_member


def export(client, project, number: int, **params) -> tuple[int, bytes | dict]:
    response = client.get(f"/api/projects/{project.pk}/versions/{number}/export/", params)
    if response.status_code != 200:
        return response.status_code, response.json()
    return 200, b"".join(response.streaming_content)


def listed_ids(client, project, number: int, **params) -> list[int]:
    """The reference: the ids the items API lists for the same filters."""
    response = client.get(f"/api/projects/{project.pk}/items/", {**params, "version": number, "page_size": 500})
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


@pytest.mark.parametrize(
    "filters",
    [
        {"metadata": "channel=chat"},
        {"q": "parcel"},
        {"label": "negative"},
        {"final": "positive"},
        {"annotator": "ann2"},
        {"metadata": "channel=email", "label": "negative"},
        {"external_id": "w1"},
    ],
)
def test_a_selection_holds_exactly_what_the_items_api_lists(explored, manager, api_client, filters):
    client = api_client(manager)
    status, body = export(client, explored.project, 2, format="jsonl", **filters)
    assert status == 200, body
    exported = [json.loads(line)["id"] for line in body.splitlines()]
    assert exported == listed_ids(client, explored.project, 2, **filters)
    assert exported  # every filter above selects something
    status, body = export(client, explored.project, 2, format="csv", **filters)
    assert [int(row["id"]) for row in csv.DictReader(io.StringIO(body.decode()))] == exported


def test_a_batch_filter_and_empty_parameters(explored, manager, api_client):
    client = api_client(manager)
    first_batch = explored.items["e1"].batch_id
    status, body = export(client, explored.project, 2, format="jsonl", batch=str(first_batch), q="", label="")
    assert status == 200
    assert [json.loads(line)["data"]["text"] for line in body.splitlines()] == [
        "Refund my order please", "Great service, thanks", "Where is my parcel",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "params, words",
    [
        ({"colour": "red"}, "unknown parameter colour"),
        ({"cursor": "abc"}, "unknown parameter cursor"),
        ({"metadata": "channel"}, "key=value"),
        ({"label": "furious"}, "label must be one of"),
        ({"annotator": "nobody"}, "no user named nobody"),
        ({"layout": "wide"}, "layout"),
        ({"layout": "flat", "format": "jsonl"}, "layout=flat is for csv"),
    ],
)
def test_bad_filters_and_options_are_400(explored, manager, api_client, params, words):
    status, body = export(api_client(manager), explored.project, 2, **{"format": "csv", **params})
    assert status == 400
    assert words in json.dumps(body)


def test_flat_csv_opens_as_the_upload_looked(explored, manager, api_client):
    status, body = export(api_client(manager), explored.project, 2, format="csv", layout="flat")
    assert status == 200
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["id", "external_id", "text", "channel", "ann1", "ann2", "final"]
    by_external = {row[1]: row for row in rows[1:]}
    items = explored.items
    assert by_external["e1"] == [str(items["e1"].pk), "e1", "Refund my order please", "email", "negative",
                                 "negative", "negative"]  # fmt: skip
    assert by_external["e2"][4:] == ["positive", "neutral", "positive"]  # adjudicated
    assert by_external["c1"][3:] == ["chat", "", "", ""]
    assert [row[1] for row in rows[1:]] == ["e1", "e2", "c1", "c2", "w1"]


def test_flat_csv_guards_formulas_and_joins_multilabels(manager, api_client):
    project = ProjectFactory(user=manager, name="Topics", task_type="multilabel", labels=["a", "b"])
    annotator = UserFactory(username="=cmd")
    add_member(project, annotator, "annotator")
    import_rows(project, manager, [{"id": "@x", "text": "=1+1", "note": "-2", "size": 3}, {"text": "plain"}])
    first = project.items.order_by("id").first()
    submit(first, annotator, ["b", "a"])
    status, body = export(api_client(manager), project, 1, format="csv", layout="flat")
    assert status == 200
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["id", "external_id", "text", "note", "size", "'=cmd", "final"]
    assert rows[1][1:] == ["'@x", "'=1+1", "'-2", "3", "a|b", "a|b"]  # stored in schema order
    assert rows[2][1:] == ["", "plain", "", "", "", ""]
    response = api_client(manager).get(f"/api/projects/{project.pk}/versions/1/export/?format=csv&layout=flat")
    assert response["Content-Disposition"] == 'attachment; filename="topics-v1-flat.csv"'


# The fast paths, each against what it stands for ------------------------------------------

TRICKY = [
    1e-07, 5e-05, 1e16, 1.5e300, 0.1 + 0.2, -0.0, 2**70, -(2**64), 123456789012345678901234567890,
    "é\u2028\x7f\x00\"\\\n", {"k": [None, True, False, 1.0]}, {"nested": {"e-1": "9e-4f5b", "0.00001": 0.00001}},
]  # fmt: skip


def test_json_is_written_and_read_as_the_standard_library_does():
    for value in TRICKY:
        assert records.dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":")), value
        text = json.dumps(value)
        assert repr(records.json_loads(text)) == repr(json.loads(text)), value


def test_chunk_finals_follow_final_labels(explored):
    rng = random.Random(4)
    choices = ["a", "b", ["a"], ["a", "b"], [{"start": 0, "end": 1, "label": "x"}], 1, "c"]
    values = {}
    item_ids = sorted(item.pk for item in explored.items.values())
    for item_id in item_ids:
        values[item_id] = [rng.choice(choices) for _ in range(rng.randint(0, 5))]
    adjudicated = records.adjudicated_of(item_ids)
    assert records.final_labels_of(item_ids=item_ids, values=values, adjudicated=adjudicated) == final_labels(
        item_ids=item_ids, annotations=values
    )
