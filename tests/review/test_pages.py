"""The review pages through Django's client: roles, escaping, the forms, and every task type."""

import pytest
from django.test import Client

from labeling.models import Adjudication
from tests.factories import add_member
from tests.review.conftest import items_of, submit

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_answer_reviewers_only(labeled, reviewer, team, outsider):
    for path in (f"/projects/{labeled.pk}/review/", f"/projects/{labeled.pk}/agreement/"):
        assert logged_in(reviewer).get(path).status_code == 200
        assert logged_in(team[0]).get(path).status_code == 403
        assert logged_in(outsider).get(path).status_code == 404
        assert Client().get(path).status_code == 302  # to the login page
    assert logged_in(reviewer).get(f"/projects/{labeled.pk}/review/?version=7").status_code == 404
    bad = logged_in(reviewer).get(f"/projects/{labeled.pk}/review/?order=nope")
    assert bad.status_code == 400 and b"order must be one of" in bad.content


def test_the_dashboard_draws_its_charts(labeled, reviewer):
    page = logged_in(reviewer).get(f"/projects/{labeled.pk}/agreement/").content.decode()
    assert 'class="heatmap"' in page and 'class="bars"' in page and 'class="line"' in page
    assert 'data-figure="krippendorff_alpha"' in page and 'data-figure="fleiss_kappa"' in page


def test_the_form_adjudicates_and_sends_back(labeled, reviewer, team):
    client = logged_in(reviewer)
    item = items_of(labeled)[1]
    path = f"/projects/{labeled.pk}/review/items/{item.pk}/adjudicate/"
    response = client.post(path, {"action": "label", "label": "negative", "note": "n", "query": "label=positive"})
    assert response.status_code == 302 and response["Location"].endswith("/review/?label=positive")
    response = client.post(path, {"action": "send_back", "count": "2", "note": "", "query": "//evil.example"})
    assert response.status_code == 302 and response["Location"].startswith(f"/projects/{labeled.pk}/review/")
    assert list(Adjudication.objects.order_by("id").values_list("action", "value")) == [
        ("label", "negative"),
        ("send_back", None),
    ]
    client.post(path, {"action": "label", "label": "wrong"})
    assert Adjudication.objects.count() == 2  # refused, with a message on the page
    assert logged_in(team[0]).post(path, {"action": "label", "label": "negative"}).status_code == 403


def test_spans_are_aligned_one_row_per_annotator_and_escaped(make_project, reviewer, team, api_client):
    text = f"Ada met {HOSTILE} at IBM"
    project = make_project("spans", ["PER", "ORG"], [{"id": "s1", "text": text}])
    for user in team[:2]:
        add_member(project, user, "annotator")
    item = items_of(project)[0]
    submit(item, team[0], [{"start": 0, "end": 3, "label": "PER"}])
    submit(
        item,
        team[1],
        [{"start": 0, "end": 3, "label": "PER"}, {"start": len(text) - 3, "end": len(text), "label": "ORG"}],
    )
    page = logged_in(reviewer).get(f"/projects/{project.pk}/review/").content.decode()
    assert page.count('class="rv-spanrow"') == 2
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert 'title="ORG">IBM</mark>' in page
    body = logged_in(reviewer).get(f"/projects/{project.pk}/agreement/")
    assert body.status_code == 200 and b'data-figure="token_alpha"' in body.content
    report = api_client(reviewer).get(f"/api/projects/{project.pk}/agreement/").json()
    assert report["f1_exact"] == pytest.approx(2 / 3)  # one of three spans matched exactly
    assert [(e["annotator"], e["n"], e["f1_exact"]) for e in report["per_annotator"]] == [
        ("ann1", 1, pytest.approx(2 / 3)),
        ("ann2", 1, pytest.approx(2 / 3)),
    ]
    client = logged_in(reviewer)
    path = f"/projects/{project.pk}/review/items/{item.pk}/adjudicate/"
    client.post(path, {"action": "label", "spans": '[{"start": 0, "end": 3, "label": "PER"}]'})
    assert Adjudication.objects.get(item=item).value == [{"start": 0, "end": 3, "label": "PER"}]


def test_multilabel_and_span_reports_through_the_api(make_project, reviewer, team, api_client):
    multi = make_project("multilabel", ["billing", "bug", "praise"], [{"text": f"ticket {n}"} for n in range(4)])
    for user in team[:3]:
        add_member(multi, user, "annotator")
    plan = [["billing"], ["billing", "bug"], ["praise"], []]
    for item, labels in zip(items_of(multi), plan, strict=True):
        for position, user in enumerate(team[:3]):
            submit(item, user, labels if position < 2 else ["bug"])
    client = api_client(reviewer)
    report = client.get(f"/api/projects/{multi.pk}/agreement/").json()
    assert {"krippendorff_alpha", "binary_alpha", "percent_agreement", "pairwise"} <= set(report)
    assert {p["a"] for p in report["pairwise"]} <= {u.username for u in team}
    ranked = client.get(f"/api/projects/{multi.pk}/disagreements/").json()
    assert ranked["count"] == 4
    assert client.get(f"/api/projects/{multi.pk}/consensus/", {"method": "dawid_skene"}).status_code == 400
    assert client.get(f"/api/projects/{multi.pk}/label-issues/").status_code == 400
    page = logged_in(reviewer).get(f"/projects/{multi.pk}/review/?label=bug")
    assert page.status_code == 200 and b'type="checkbox"' in page.content
