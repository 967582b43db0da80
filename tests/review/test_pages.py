"""The review pages through Django's client: roles, escaping, the forms, and every task type."""

import re

import pytest
from django.test import Client

from config import charts
from labeling.models import Adjudication, ReviewResult
from labeling.review import services
from tests.factories import UserFactory, add_member
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
    assert 'data-figure="percent_agreement"' in page and "Percent agreement is shown" in page


def confusion_svgs(page: str) -> list[str]:
    return re.findall(r'<svg class="confusion".*?</svg>', page, flags=re.S)


def test_the_dashboard_draws_each_annotators_confusion_matrix(labeled, reviewer):
    page = logged_in(reviewer).get(f"/projects/{labeled.pk}/agreement/").content.decode()
    confusion = ReviewResult.objects.get(project=labeled, kind="dawid_skene").result["confusion"]
    svgs = confusion_svgs(page)
    assert len(svgs) == len(confusion) == 4
    labels = labeled.label_names
    for svg, (name, matrix) in zip(svgs, confusion.items(), strict=True):
        assert 'role="img"' in svg and f'aria-label="Dawid-Skene confusion matrix of {name}: rows are the true' in svg
        titles = re.findall(r"<title>(.*?)</title>", svg)
        printed = re.findall(r'class="cell"[^>]*>(.*?)</text>', svg)
        assert printed == [f"{share:.2f}" for row in matrix for share in row]  # the figure, not colour alone
        assert titles == [
            f"{name}: true {true}, gave {given}: {share:.3f}"
            for true, row in zip(labels, matrix, strict=True)
            for given, share in zip(labels, row, strict=True)
        ]
        for row in matrix:
            assert sum(row) == pytest.approx(1, abs=1e-5)
    assert page.index('id="ag-confusion"') > page.index('id="ag-ann-h"')


def test_a_confusion_matrix_escapes_names_and_marks_labels_nobody_gave():
    hostile_label = '<b onmouseover="x">bold</b>'
    svg = charts.confusion_matrix(annotator=HOSTILE, labels=["ok", hostile_label], matrix=[[0.75, 0.25], [0.0, 0.0]])
    assert HOSTILE not in svg and hostile_label not in svg and "&lt;script&gt;" in svg
    assert svg.count("<rect") == 4 and svg.count('stroke-width="1.5"') == 2  # the diagonal is outlined
    assert re.findall(r'class="cell"[^>]*>(.*?)</text>', svg) == ["0.75", "0.25", "&#8211;", "&#8211;"]
    assert "gave ok: no figure (nobody gave this label)</title>" in svg


def test_the_dashboard_says_when_dawid_skene_waits_for_a_worker(
    labeled, reviewer, settings, django_capture_on_commit_callbacks
):
    services.review_result_compute(project=labeled, version=1, kind="agreement")
    settings.GROUNDWORK_REVIEW_INLINE_MAX = 0  # from now on the project counts as large
    with django_capture_on_commit_callbacks() as queued:
        response = logged_in(reviewer).get(f"/projects/{labeled.pk}/agreement/")
    page = response.content.decode()
    assert response.status_code == 200 and 'id="ag-headline"' in page  # the cached report shows at once
    assert "Not computed yet for v1" in page and "computed by a worker" in page and not confusion_svgs(page)
    poll = f"/api/projects/{labeled.pk}/consensus/?method=dawid_skene&amp;version=1&amp;page_size=1"
    assert f'data-poll="{poll}"' in page
    assert len(queued) == 1  # one worker task, enqueued on commit
    assert ReviewResult.objects.get(project=labeled, kind="dawid_skene").status == "computing"


def test_a_confusion_matrix_with_hostile_names_on_the_page(make_project, reviewer):
    project = make_project("classification", ["fine", "<i>odd</i>"], [{"text": f"row {n}"} for n in range(3)])
    users = [UserFactory(username=name) for name in (HOSTILE, "plain")]
    for user in users:
        add_member(project, user, "annotator")
    for item in items_of(project):
        for user in users:
            submit(item, user, "fine" if item.pk % 2 or user.username == "plain" else "<i>odd</i>")
    page = logged_in(reviewer).get(f"/projects/{project.pk}/agreement/").content.decode()
    assert len(confusion_svgs(page)) == 2
    assert HOSTILE not in page and "<i>odd</i>" not in page


def test_the_form_adjudicates_and_sends_back(labeled, reviewer, team):
    client = logged_in(reviewer)
    item = items_of(labeled)[1]
    path = f"/projects/{labeled.pk}/review/items/{item.pk}/adjudicate/"
    response = client.post(path, {"action": "label", "label": "negative", "note": "n", "query": "label=positive"})
    assert response.status_code == 302 and response["Location"].endswith("/review/?label=positive")
    response = client.post(path, {"action": "send_back", "count": "1", "note": "", "query": "//evil.example"})
    assert response.status_code == 302 and response["Location"].startswith(f"/projects/{labeled.pk}/review/")
    assert list(Adjudication.objects.order_by("id").values_list("action", "value")) == [
        ("label", "negative"),
        ("send_back", None),
    ]
    client.post(path, {"action": "label", "label": "wrong"})
    assert Adjudication.objects.count() == 2  # refused, with a message on the page
    page = client.post(path, {"action": "label", "note": "forgot to pick"}, follow=True).content.decode()
    assert "choose the final label first" in page and Adjudication.objects.count() == 2
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
    assert b"Percent agreement is shown" not in body.content  # spans have no percent agreement to explain
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
    ranked = client.get(f"/api/projects/{multi.pk}/disagreements/", {"all": "1"}).json()
    assert ranked["count"] == 4
    assert client.get(f"/api/projects/{multi.pk}/consensus/", {"method": "dawid_skene"}).status_code == 400
    assert client.get(f"/api/projects/{multi.pk}/label-issues/").status_code == 400
    page = logged_in(reviewer).get(f"/projects/{multi.pk}/review/?label=bug")
    assert page.status_code == 200 and b'type="checkbox"' in page.content


def test_the_form_speaks_like_the_api(labeled, reviewer, api_client):
    from django.utils.html import escape

    from labeling.review.services import COUNT_ERROR, NOTE_ERROR

    client = logged_in(reviewer)
    item = items_of(labeled)[1]
    path = f"/projects/{labeled.pk}/review/items/{item.pk}/adjudicate/"
    api = api_client(reviewer).post(f"/api/items/{item.pk}/adjudication/", {"value": "wrong"}, format="json")
    for posted, message in [
        ({"action": "send_back", "count": "many"}, COUNT_ERROR),
        ({"action": "send_back", "count": "0"}, COUNT_ERROR),
        ({"action": "label", "label": "negative", "note": "x" * 5001}, NOTE_ERROR),
        ({"action": "label", "label": "wrong"}, api.json()["detail"]),
    ]:
        page = client.post(path, posted, follow=True).content.decode()
        assert escape(message) in page, posted
    assert not Adjudication.objects.exists()


def test_the_queue_hides_agreed_items_and_says_when_no_item_matches(labeled, reviewer):
    client = logged_in(reviewer)
    base = f"/projects/{labeled.pk}/review/"
    page = client.get(base).content.decode()
    assert page.count('class="card rv-item"') == 2 and "where annotators disagree" in page
    assert 'id="rv-all-link"' in page and "?all=1" in page
    everything = client.get(base, {"all": "1"}).content.decode()
    assert everything.count('class="card rv-item"') == 3
    nothing = client.get(base, {"metadata": "channel=app"}).content.decode()
    assert "No item matches" in nothing and "Items appear here once" not in nothing
    assert '<option value="channel=email">' in page and '<option value="channel=web">' in page
    assert 'data-slice="channel=email"' in page


def test_the_review_page_marks_augmented_items_with_their_method_escaped(labeled, reviewer, manager, team):
    from tests.review.conftest import import_rows

    source = items_of(labeled)[0]
    import_rows(
        labeled,
        manager,
        [{"text": "review numbr 0", "source_item": source.pk, "augmentation_method": HOSTILE}],
    )
    copy = items_of(labeled)[-1]
    assert copy.source_id == source.pk
    submit(copy, team[0], "positive")
    submit(copy, team[1], "negative")
    page = logged_in(reviewer).get(f"/projects/{labeled.pk}/review/").content.decode()
    article = page[page.index(f'id="rv-item-{copy.pk}"') :]
    article = article[: article.index("</header>")]
    assert 'class="badge augmented"' in article and "augmented · &lt;script&gt;" in article
    assert HOSTILE not in page
    tie = items_of(labeled)[1]  # an original in the queue: no mark
    assert "badge augmented" not in page[page.index(f'id="rv-item-{tie.pk}"') :].split("</header>")[0]
