"""Every review endpoint: success, no credentials, an annotator (403), another project's ids (404), bad input (400)."""

import pytest
from rest_framework.test import APIClient

from labeling.models import Adjudication, GoldLabel, PredictionSet
from tests.review.conftest import items_of

pytestmark = pytest.mark.django_db

READS = ["agreement", "disagreements", "consensus", "label-issues"]


@pytest.fixture
def reviewer_client(reviewer, api_client):
    return api_client(reviewer)


@pytest.fixture
def foreign_item(outsider, manager):
    """An item of the outsider's project: its id must look like nothing to our users."""
    from projects.models import Project
    from tests.review.conftest import import_rows

    elsewhere = Project.objects.get(name="Elsewhere")
    import_rows(elsewhere, outsider, [{"id": "x1", "text": "someone else's text"}])
    return items_of(elsewhere)[0]


def test_reads_answer_reviewers_and_managers(labeled, reviewer_client, manager, api_client):
    for endpoint in READS:
        for client in (reviewer_client, api_client(manager)):
            response = client.get(f"/api/projects/{labeled.pk}/{endpoint}/")
            assert response.status_code == 200, (endpoint, response.content)


def test_reads_refuse_annotators_strangers_and_anonymous(labeled, team, outsider, api_client):
    for endpoint in READS:
        url = f"/api/projects/{labeled.pk}/{endpoint}/"
        assert api_client(team[0]).get(url).status_code == 403, endpoint
        assert api_client(team[0]).get(url).json()["detail"]
        assert api_client(outsider).get(url).status_code == 404, endpoint
        assert APIClient().get(url).status_code in (401, 403), endpoint


def test_agreement_report_names_annotators_and_labels(labeled, reviewer_client, team):
    body = reviewer_client.get(f"/api/projects/{labeled.pk}/agreement/").json()
    assert body["version"] == 1 and body["status"] == "done"
    assert body["items_compared"] == 3  # t0, t1, t2 have two or more annotations
    assert body["annotations"] == 13
    names = {pair["a"] for pair in body["pairwise"]} | {pair["b"] for pair in body["pairwise"]}
    assert names <= {user.username for user in team}
    assert {entry["label"] for entry in body["per_label"]} <= {"positive", "negative", "neutral"}
    assert {entry["annotator"] for entry in body["per_annotator"]} == {user.username for user in team}
    for key in ("krippendorff_alpha", "fleiss_kappa", "percent_agreement", "gwet_ac", "computed_at", "reasons"):
        assert key in body


def test_agreement_bad_version(labeled, reviewer_client):
    assert reviewer_client.get(f"/api/projects/{labeled.pk}/agreement/?version=x").status_code == 400
    assert reviewer_client.get(f"/api/projects/{labeled.pk}/agreement/?version=9").status_code == 404


def test_disagreements_least_agreement_first_with_annotations(labeled, reviewer_client):
    body = reviewer_client.get(f"/api/projects/{labeled.pk}/disagreements/", {"all": "1"}).json()
    assert [row["item"]["external_id"] for row in body["results"]] == ["t1", "t2", "t0"]
    assert body["count"] == 3
    tie, majority, agreed = body["results"]
    assert tie["consensus"]["tie"] is True
    assert majority["consensus"] == {"value": "neutral", "confidence": 0.75, "tie": False}
    assert agreed["agreement"] == 1.0
    assert [a["annotator"] for a in majority["annotations"]] == ["ann1", "ann2", "ann3", "ann4"]
    assert {"annotator", "value", "updated_at"} <= set(majority["annotations"][0])


def test_disagreements_filters(labeled, reviewer_client):
    url = f"/api/projects/{labeled.pk}/disagreements/"
    by_label = reviewer_client.get(url, {"label": "neutral"}).json()
    assert [row["item"]["external_id"] for row in by_label["results"]] == ["t2"]
    by_annotator = reviewer_client.get(url, {"annotator": "ann4", "all": "1"}).json()
    assert [row["item"]["external_id"] for row in by_annotator["results"]] == ["t1", "t2", "t0"]
    by_slice = reviewer_client.get(url, {"metadata": "channel=email"}).json()
    assert [row["item"]["external_id"] for row in by_slice["results"]] == ["t1"]
    paged = reviewer_client.get(url, {"page_size": 2, "page": 2, "all": "1"}).json()
    assert [row["item"]["external_id"] for row in paged["results"]] == ["t0"] and paged["previous"]


def test_disagreements_bad_input(labeled, reviewer_client):
    bad = [{"label": "nope"}, {"order": "random"}, {"page": "0"}, {"page_size": "1000"}, {"metadata": "no-equals"}]
    for query in bad:
        response = reviewer_client.get(f"/api/projects/{labeled.pk}/disagreements/", query)
        assert response.status_code == 400 and response.json()["detail"], query


def test_consensus_majority_and_dawid_skene(labeled, reviewer_client):
    majority = reviewer_client.get(f"/api/projects/{labeled.pk}/consensus/").json()
    rows = {row["item"]: row for row in majority["results"]}
    items = items_of(labeled)
    assert rows[items[0].pk]["value"] == "positive" and rows[items[0].pk]["confidence"] == 1.0
    assert rows[items[1].pk]["tie"] is True
    assert rows[items[3].pk]["value"] == "negative"
    assert items[4].pk not in rows  # never annotated
    ds = reviewer_client.get(f"/api/projects/{labeled.pk}/consensus/", {"method": "dawid_skene"}).json()
    assert ds["method"] == "dawid_skene" and len(ds["results"]) == 4
    assert set(ds["confusion"]) == {"ann1", "ann2", "ann3", "ann4"}
    assert ds["labels"] == ["positive", "negative", "neutral"]  # the order of every matrix's rows and columns
    assert all(len(matrix) == 3 and all(len(row) == 3 for row in matrix) for matrix in ds["confusion"].values())
    assert len(ds["priors"]) == 3 and ds["iterations"] >= 1
    assert "confusion" not in majority and "labels" not in majority
    bad = reviewer_client.get(f"/api/projects/{labeled.pk}/consensus/", {"method": "vote"})
    assert bad.status_code == 400


def test_adjudication_success_and_history(labeled, reviewer_client, reviewer):
    item = items_of(labeled)[1]
    url = f"/api/items/{item.pk}/adjudication/"
    first = reviewer_client.post(url, {"value": "positive", "note": "sarcasm is <b>negative</b>?"}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["reviewer"] == "reviewer" and first.json()["value"] == "positive"
    second = reviewer_client.post(url, {"value": "negative", "note": "checked the guideline"}, format="json")
    assert second.status_code == 201
    history = reviewer_client.get(url).json()
    assert [entry["value"] for entry in history] == ["negative", "positive"]  # newest first, nothing overwritten
    assert Adjudication.objects.filter(item=item).count() == 2
    row = next(
        r for r in reviewer_client.get(f"/api/projects/{labeled.pk}/disagreements/").json()["results"]
        if r["item"]["id"] == item.pk
    )  # fmt: skip
    assert row["adjudication"]["value"] == "negative"


def test_send_back_asks_for_more_annotators(labeled, reviewer_client):
    from tests.factories import UserFactory, add_member

    item = items_of(labeled)[1]  # four annotations of five; the manager and the reviewer have not labeled it
    url = f"/api/items/{item.pk}/adjudication/"
    too_many = reviewer_client.post(url, {"action": "send_back", "count": 2}, format="json")
    assert too_many.status_code == 409  # one label still to come, two members left: one more at most
    assert "ask for at most 1 more" in too_many.json()["detail"]
    for name in ("ann5", "ann6"):
        add_member(labeled, UserFactory(username=name), "annotator")
    response = reviewer_client.post(url, {"action": "send_back", "note": "unclear", "count": 2}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["action"] == "send_back" and response.json()["count"] == 2
    item.state.refresh_from_db()
    assert item.state.extra == 2
    assert Adjudication.objects.count() == 1


def test_adjudication_bad_input(labeled, reviewer_client):
    bad = [
        {"value": "great"},
        {"value": ["positive"]},
        {},
        {"note": "no value"},
        {"action": "send_back", "count": 0},
        {"action": "send_back", "count": 99},
        {"action": "delete"},
        {"value": "positive", "note": "x" * 5001},
    ]
    item = items_of(labeled)[1]
    for body in bad:
        response = reviewer_client.post(f"/api/items/{item.pk}/adjudication/", body, format="json")
        assert response.status_code == 400, (body, response.content)
    assert not Adjudication.objects.exists()


def test_adjudication_refused(labeled, team, outsider, api_client, foreign_item, reviewer_client):
    item = items_of(labeled)[1]
    url = f"/api/items/{item.pk}/adjudication/"
    assert api_client(team[0]).post(url, {"value": "positive"}, format="json").status_code == 403
    assert api_client(outsider).post(url, {"value": "positive"}, format="json").status_code == 404
    assert APIClient().post(url, {"value": "positive"}, format="json").status_code in (401, 403)
    foreign = f"/api/items/{foreign_item.pk}/adjudication/"
    assert reviewer_client.post(foreign, {"value": "positive"}, format="json").status_code == 404
    assert not Adjudication.objects.exists()


def test_gold_set_change_delete_and_accuracy(labeled, manager, api_client, reviewer_client, team):
    client = api_client(manager)
    items = items_of(labeled)
    assert client.post(f"/api/items/{items[2].pk}/gold/", {"value": "neutral"}, format="json").status_code == 201
    assert client.post(f"/api/items/{items[1].pk}/gold/", {"value": "negative"}, format="json").status_code == 201
    body = reviewer_client.get(f"/api/projects/{labeled.pk}/agreement/").json()
    accuracy = {entry["annotator"]: (entry["gold_n"], entry["gold_accuracy"]) for entry in body["per_annotator"]}
    # t2: neutral, neutral, neutral, positive; t1: positive, positive, negative, negative
    assert accuracy == {"ann1": (2, 0.5), "ann2": (2, 0.5), "ann3": (2, 1.0), "ann4": (2, 0.5)}
    assert client.post(f"/api/items/{items[1].pk}/gold/", {"value": "positive"}, format="json").status_code == 201
    assert GoldLabel.objects.get(item=items[1]).value == "positive"
    assert client.delete(f"/api/items/{items[1].pk}/gold/").status_code == 204
    body = reviewer_client.get(f"/api/projects/{labeled.pk}/agreement/").json()
    assert {e["annotator"]: e["gold_n"] for e in body["per_annotator"]} == {"ann1": 1, "ann2": 1, "ann3": 1, "ann4": 1}


def test_gold_refused_and_bad_input(labeled, reviewer_client, team, outsider, api_client, manager, foreign_item):
    item = items_of(labeled)[0]
    url = f"/api/items/{item.pk}/gold/"
    assert reviewer_client.post(url, {"value": "positive"}, format="json").status_code == 403
    assert api_client(team[0]).post(url, {"value": "positive"}, format="json").status_code == 403
    assert api_client(outsider).post(url, {"value": "positive"}, format="json").status_code == 404
    assert APIClient().delete(url).status_code in (401, 403)
    client = api_client(manager)
    assert client.post(url, {"value": "meh"}, format="json").status_code == 400
    assert client.post(url, {}, format="json").status_code == 400
    assert client.post(f"/api/items/{foreign_item.pk}/gold/", {"value": "x"}, format="json").status_code == 404
    assert not GoldLabel.objects.exists()


def test_predictions_and_label_issues(labeled, manager, api_client, reviewer_client):
    items = items_of(labeled)
    predictions = [
        {"item": items[0].pk, "probabilities": [0.05, 0.9, 0.05]},  # consensus positive, the model says negative
        {"item": items[2].pk, "probabilities": [0.1, 0.1, 0.8]},
        {"item": items[3].pk, "probabilities": [0.1, 0.8, 0.1]},
    ]
    response = api_client(manager).post(
        f"/api/projects/{labeled.pk}/predictions/", {"model": "bert-v1", "predictions": predictions}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["count"] == 3
    body = reviewer_client.get(f"/api/projects/{labeled.pk}/label-issues/").json()
    assert body["model"] == "bert-v1" and body["checked"] == 3
    for issue in body["results"]:
        assert set(issue) == {"item", "score", "given", "predicted"}
    ranked = reviewer_client.get(
        f"/api/projects/{labeled.pk}/disagreements/", {"order": "label_issue", "all": "1"}
    ).json()
    assert ranked["results"][0]["item"]["external_id"] == "t0"  # the lowest label quality first


def test_predictions_bad_input(labeled, manager, api_client, foreign_item):
    item, foreign = items_of(labeled)[0].pk, foreign_item.pk
    cases = [
        ([], 400),
        ("nope", 400),
        ([{"item": 0, "probabilities": [1, 0, 0]}], 400),
        ([{"item": item, "probabilities": [1, 0]}], 400),
        ([{"item": item, "probabilities": [0.5, 0.6, -0.1]}], 400),
        ([{"item": item, "probabilities": [0.5, 0.2, 0.2]}], 400),
        ([{"item": item, "probabilities": [1, 0, "x"]}], 400),
        ([{"item": item, "probabilities": [1, 0, 0], "extra": 1}], 400),
        ([{"item": item, "probabilities": [1, 0, 0]}, {"item": item, "probabilities": [1, 0, 0]}], 400),
        ([{"item": True, "probabilities": [1, 0, 0]}], 400),
        ([{"item": foreign, "probabilities": [1, 0, 0]}], 404),
        ([{"item": 2**62, "probabilities": [1, 0, 0]}], 404),
    ]
    client = api_client(manager)
    for predictions, status in cases:
        body = {"model": "m", "predictions": predictions}
        response = client.post(f"/api/projects/{labeled.pk}/predictions/", body, format="json")
        assert response.status_code == status, (predictions, response.content)
    assert (
        client.post(f"/api/projects/{labeled.pk}/predictions/", {"predictions": []}, format="json").status_code == 400
    )
    assert not PredictionSet.objects.exists()


def test_predictions_refused(labeled, reviewer_client, team, outsider, api_client):
    body = {"model": "m", "predictions": [{"item": items_of(labeled)[0].pk, "probabilities": [1, 0, 0]}]}
    url = f"/api/projects/{labeled.pk}/predictions/"
    assert reviewer_client.post(url, body, format="json").status_code == 403
    assert api_client(team[0]).post(url, body, format="json").status_code == 403
    assert api_client(outsider).post(url, body, format="json").status_code == 404
    assert APIClient().post(url, body, format="json").status_code in (401, 403)


def test_a_new_label_invalidates_the_cached_report(labeled, reviewer_client, team):
    from tests.review.conftest import submit

    url = f"/api/projects/{labeled.pk}/agreement/"
    before = reviewer_client.get(url).json()
    assert reviewer_client.get(url).json()["computed_at"] == before["computed_at"]  # served from the cache
    submit(items_of(labeled)[3], team[1], "positive")
    after = reviewer_client.get(url).json()
    assert after["annotations"] == before["annotations"] + 1
    assert after["items_compared"] == before["items_compared"] + 1


def test_a_schema_change_or_a_gold_answer_makes_the_cached_report_stale(labeled, reviewer_client, manager, api_client):
    from labeling.review.services import gold_set

    url = f"/api/projects/{labeled.pk}/agreement/"
    nominal = reviewer_client.get(url).json()
    project_url = f"/api/projects/{labeled.pk}/"
    assert api_client(manager).patch(project_url, {"label_scale": "ordinal"}, format="json").status_code == 200
    ordinal = reviewer_client.get(url).json()
    assert ordinal["computed_at"] > nominal["computed_at"]
    assert ordinal["krippendorff_alpha"] != nominal["krippendorff_alpha"]  # distances between ordered labels
    assert reviewer_client.get(url).json()["computed_at"] == ordinal["computed_at"]  # cached again

    gold_set(item=items_of(labeled)[0], user=manager, value="positive")
    assert reviewer_client.get(url).json()["computed_at"] > ordinal["computed_at"]


def test_a_label_in_use_cannot_be_removed_from_the_schema(labeled, manager, api_client):
    client, url = api_client(manager), f"/api/projects/{labeled.pk}/"
    response = client.patch(url, {"labels": ["positive", "negative"]}, format="json")
    assert response.status_code == 409
    assert "'neutral'" in response.json()["detail"]
    labeled.refresh_from_db()
    assert labeled.label_names == ["positive", "negative", "neutral"]
    assert client.patch(url, {"labels": ["positive", "negative", "neutral", "mixed"]}, format="json").status_code == 200
    assert client.patch(url, {"labels": ["positive", "negative", "neutral"]}, format="json").status_code == 200


def test_reads_refuse_an_unknown_query_parameter(labeled, reviewer_client):
    for endpoint in READS:
        url = f"/api/projects/{labeled.pk}/{endpoint}/"
        response = reviewer_client.get(url, {"metdata": "channel=email"})
        assert response.status_code == 400, endpoint
        assert "unknown query parameter: metdata" in response.json()["detail"], endpoint
        assert reviewer_client.get(url, {"format": "json"}).status_code == 200, endpoint


def test_agreement_of_a_metadata_slice(labeled, reviewer_client, manager, api_client):
    url = f"/api/projects/{labeled.pk}/agreement/"
    whole = reviewer_client.get(url).json()
    email = reviewer_client.get(url, {"metadata": "channel=email"}).json()
    # email: t1 (2 positive vs 2 negative), t3 (one label), t5 (none)
    assert email["metadata"] == "channel=email" and email["status"] == "done"
    assert email["annotations"] == 5 and email["items_compared"] == 1
    assert email["krippendorff_alpha"] != whole["krippendorff_alpha"]
    assert whole["annotations"] == 13 and "metadata" not in whole
    web = reviewer_client.get(url, {"metadata": "channel=web"}).json()
    assert web["annotations"] == 8 and web["items_compared"] == 2
    assert {e["annotator"] for e in web["per_annotator"]} == {"ann1", "ann2", "ann3", "ann4"}
    nothing = reviewer_client.get(url, {"metadata": "channel=app"})
    assert nothing.status_code == 200 and nothing.json()["annotations"] == 0
    assert reviewer_client.get(url, {"metadata": "no-equals"}).status_code == 400
    items = items_of(labeled)
    client = api_client(manager)
    assert client.post(f"/api/items/{items[1].pk}/gold/", {"value": "negative"}, format="json").status_code == 201
    assert client.post(f"/api/items/{items[2].pk}/gold/", {"value": "neutral"}, format="json").status_code == 201
    email = reviewer_client.get(url, {"metadata": "channel=email"}).json()
    assert email["gold_items"] == 1  # the slice's gold answers only
    assert {e["annotator"]: e["gold_n"] for e in email["per_annotator"]} == {"ann1": 1, "ann2": 1, "ann3": 1, "ann4": 1}


def test_slice_agreement_refuses_annotators_strangers_and_anonymous(labeled, team, outsider, api_client):
    url = f"/api/projects/{labeled.pk}/agreement/?metadata=channel%3Demail"
    assert api_client(team[0]).get(url).status_code == 403
    assert api_client(outsider).get(url).status_code == 404
    assert APIClient().get(url).status_code in (401, 403)


def test_slice_agreement_too_large_for_a_request_is_refused(labeled, reviewer_client, settings):
    settings.GROUNDWORK_REVIEW_INLINE_MAX = 3
    response = reviewer_client.get(f"/api/projects/{labeled.pk}/agreement/", {"metadata": "channel=email"})
    assert response.status_code == 400 and "5 annotations" in response.json()["detail"]


def test_disagreements_only_by_default_all_on_request(labeled, reviewer_client, team, outsider, api_client):
    url = f"/api/projects/{labeled.pk}/disagreements/"
    default = reviewer_client.get(url).json()
    assert [row["item"]["external_id"] for row in default["results"]] == ["t1", "t2"]  # t0: everyone agreed
    assert default["count"] == 2 and all(row["agreement"] < 1 for row in default["results"])
    everything = reviewer_client.get(url, {"all": "1"}).json()
    assert [row["item"]["external_id"] for row in everything["results"]] == ["t1", "t2", "t0"]
    assert reviewer_client.get(url, {"all": "0"}).json()["count"] == 2
    assert reviewer_client.get(url, {"all": "maybe"}).status_code == 400
    assert api_client(team[0]).get(url, {"all": "1"}).status_code == 403
    assert api_client(outsider).get(url, {"all": "1"}).status_code == 404
    assert APIClient().get(url, {"all": "1"}).status_code in (401, 403)


def test_the_schema_documents_all_and_the_agreement_slice(reviewer_client):
    schema = reviewer_client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    disagreements = next(v for k, v in paths.items() if k.endswith("/disagreements/"))["get"]
    agreement = next(v for k, v in paths.items() if k.endswith("{project_id}/agreement/"))["get"]
    assert "all" in {p["name"] for p in disagreements["parameters"]}
    assert "metadata" in {p["name"] for p in agreement["parameters"]}


def test_adjudication_messages_are_the_pages(labeled, reviewer_client):
    from labeling.review.services import COUNT_ERROR, NOTE_ERROR

    url = f"/api/items/{items_of(labeled)[1].pk}/adjudication/"
    for body, message in [
        ({"action": "send_back", "count": 0}, COUNT_ERROR),
        ({"action": "send_back", "count": "x"}, COUNT_ERROR),
        ({"value": "positive", "note": "x" * 5001}, NOTE_ERROR),
    ]:
        response = reviewer_client.post(url, body, format="json")
        assert response.status_code == 400 and message in str(response.json()), body
