"""Selections: the confirmation counts what the action touches; send-back and priority change
every selected item in set-based statements, under the queue's rule, for managers only."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from datasets.selectors import ItemFilters
from labeling import queue_rule
from labeling.explorer import selections
from labeling.explorer.selectors import LabelFilters, explorer_items
from labeling.models import Adjudication, ItemState
from tests.explorer.conftest import Explored


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(explored: Explored, query: str = "") -> str:
    return f"/projects/{explored.project.pk}/versions/2/items/selection/" + (f"?{query}" if query else "")


def states(explored: Explored, *external_ids: str) -> dict[str, ItemState]:
    return {e: ItemState.objects.get(item=explored.items[e]) for e in external_ids}


def test_the_confirmation_counts_exactly_and_links_the_export(explored):
    body = page_client(explored.project.created_by).get(url(explored, "metadata=channel%3Dchat&q=&cursor=n3")).content
    body = body.decode()
    assert 'data-count="2" data-exact="true"' in body
    assert f"/api/projects/{explored.project.pk}/versions/2/export/?format=csv&amp;metadata=channel%3Dchat" in body
    assert "cursor" not in body.split('id="selection-export"')[1]


def test_an_estimate_is_said_to_be_one(explored, monkeypatch):
    monkeypatch.setattr(selections, "EXACT_COUNT_LIMIT", 2)
    project = explored.project

    size = selections.selection_size(
        explorer_items(project=project, number=2, data=ItemFilters(), labels=LabelFilters())
    )
    assert not size.exact
    if connection.vendor == "postgresql":
        assert size.count >= 3
    else:
        assert size.count is None
    body = page_client(project.created_by).get(url(explored)).content.decode()
    assert "not counted one by one" in body


def test_send_back_is_set_based_and_follows_the_rule(explored):
    project = explored.project  # overlap 3, four members: manager, ann1, ann2, reviewer
    before = states(explored, "e1", "e2", "c1", "c2", "w1")
    with CaptureQueriesContext(connection) as queries:
        response = page_client(project.created_by).post(url(explored, "metadata=channel%3Dchat"), {"count": "1"})
    assert response.status_code == 302 and response["Location"].endswith("items/?metadata=channel%3Dchat")
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert len([sql for sql in writes if "labeling_itemstate" in sql or "labeling_adjudication" in sql]) == 2
    after = states(explored, "e1", "e2", "c1", "c2", "w1")
    # c1 (nothing yet) and c2 (one label): 3 still to come of 4 members free at most: 4 - 0 - 3 >= 1, 4 - 1 - 2 >= 1.
    assert (after["c1"].extra, after["c2"].extra) == (1, 1)
    assert after["e1"].extra == before["e1"].extra == 0  # not selected
    for state in after.values():
        assert state.is_open == queue_rule.is_open(
            submitted=state.submitted, held=state.held, overlap=project.overlap, extra=state.extra
        )
    assert set(Adjudication.objects.filter(action="send_back").values_list("item_id", flat=True)) == {
        explored.items["c1"].pk,
        explored.items["c2"].pk,
    }
    # Again: now 4 labels wanted of 4 members; one more would need a fifth.
    response = page_client(project.created_by).post(url(explored, "metadata=channel%3Dchat"), {"count": "1"})
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [
        "Sent 0 items back for 1 more label(s) each. "
        "2 kept as they were: too few members left who have not labeled them."
    ]
    assert states(explored, "c1")["c1"].extra == 1


def test_priority(explored):
    project = explored.project
    client = page_client(project.created_by)
    assert client.post(url(explored, "label=negative"), {"priority": "5"}).status_code == 302
    got = {e: s.priority for e, s in states(explored, "e1", "e2", "c2").items()}
    assert got == {"e1": 5, "e2": 0, "c2": 5}
    client.post(url(explored, "label=negative"), {"priority": "2"})  # never lowers
    assert states(explored, "e1")["e1"].priority == 5
    response = client.post(url(explored, "label=negative"), {"priority": "0"})
    assert response.status_code == 400 and "greater than or equal to 1" in response.content.decode()


@pytest.mark.parametrize("query", ["label=nope", "metadata=broken", "cursor=zz"])
def test_bad_filters_change_nothing(explored, query):
    response = page_client(explored.project.created_by).post(url(explored, query), {"count": "1"})
    assert response.status_code == 400
    assert not ItemState.objects.filter(extra__gt=0).exists() and not Adjudication.objects.filter(action="send_back")


def test_managers_only(explored, outsider):
    reviewer = explored.project.memberships.get(user__username="reviewer").user
    assert page_client(reviewer).get(url(explored)).status_code == 403
    assert page_client(reviewer).post(url(explored), {"count": "1"}).status_code == 403
    assert page_client(outsider).get(url(explored)).status_code == 404
    body = page_client(reviewer).get(f"/projects/{explored.project.pk}/versions/2/items/").content.decode()
    assert "Act on these items" not in body
