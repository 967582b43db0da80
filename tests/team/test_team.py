"""The team figures against references computed here from the same annotations: pandas for
counts and pace, a plain loop for agreement, scikit-learn for kappa and gold accuracy."""

import itertools
import threading
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from sklearn.metrics import accuracy_score, cohen_kappa_score

from conftest import wait_for
from datasets.models import Item
from labeling.models import Annotation, TeamCounts
from labeling.review import services as review_services
from labeling.team import refresh as team_refresh
from labeling.team import services as team_services
from labeling.team.pace import median_seconds_per_item
from tests.explorer.conftest import import_rows, submit
from tests.factories import ProjectFactory, UserFactory, add_member

LABELS = ["positive", "negative", "neutral"]
NAMES = ["ann1", "ann2", "ann3"]


@pytest.fixture
def team(manager):
    """Twenty items, three annotators who each label most of them, submits spread over ten days."""
    rng = np.random.default_rng(7)
    project = ProjectFactory(user=manager, name="Team", overlap=3)
    users = [UserFactory(username=name) for name in NAMES]
    for user in users:
        add_member(project, user, "annotator")
    add_member(project, UserFactory(username="idle"), "annotator")
    import_rows(project, manager, [{"id": f"t{n}", "text": f"text number {n}"} for n in range(20)])
    items = list(Item.objects.filter(project=project).order_by("id"))
    now = timezone.now()
    for index, item in enumerate(items):
        truth = LABELS[index % 3]
        for user in users:
            if rng.random() < 0.2:
                continue
            label = truth if rng.random() < 0.75 else LABELS[int(rng.integers(3))]
            submit(item, user, label)
            # Two items a day over ten days, minutes apart within a day, the last ones today.
            day, within = divmod(19 - index, 2)
            when = now - timedelta(days=day, seconds=200 * within + int(rng.integers(0, 150)))
            Annotation.objects.filter(item=item, annotator=user).update(created_at=when)
        if index % 4 == 0:
            review_services.gold_set(item=item, user=manager, value=truth)
    return project


def annotation_frame(project) -> pd.DataFrame:
    rows = Annotation.objects.filter(project=project).values_list(
        "annotator__username", "item_id", "value", "created_at", "item__gold__value"
    )
    return pd.DataFrame(list(rows), columns=["annotator", "item", "value", "created_at", "gold"])


def test_team_api_against_references(api_client, manager, team):
    response = api_client(manager).get(f"/api/projects/{team.pk}/team/")
    assert response.status_code == 200, response.content
    body = response.json()
    figures = {entry["annotator"]: entry for entry in body["annotators"]}
    assert set(figures) == {*NAMES, "idle"}
    assert figures["idle"]["done"] == 0 and figures["idle"]["median_seconds"] is None
    frame = annotation_frame(team)
    check_counts(body, frame)
    for name, mine in frame.groupby("annotator"):
        got = figures[name]
        gaps = mine.created_at.sort_values().diff().dt.total_seconds().dropna()
        gaps = gaps[gaps <= 600]
        assert got["median_seconds"] == (pytest.approx(gaps.median()) if len(gaps) else None)

    # Agreement with the others: over the items an annotator shares, the share of the others who agreed.
    by_item = frame.groupby("item")
    for name in NAMES:
        shares = []
        for _, rows in by_item:
            if name in set(rows.annotator) and len(rows) >= 2:
                mine = rows[rows.annotator == name].value.iloc[0]
                others = rows[rows.annotator != name].value
                shares.append((others == mine).mean())
        assert figures[name]["agreement"] == pytest.approx(np.mean(shares))
        assert figures[name]["items_compared"] == len(shares)

    # Mean Cohen's kappa with each colleague, weighted by the items they share.
    table = frame.pivot(index="item", columns="annotator", values="value")
    weighted: dict[str, list[tuple[float, int]]] = {name: [] for name in NAMES}
    for a, b in itertools.combinations(NAMES, 2):
        both = table[[a, b]].dropna()
        kappa = cohen_kappa_score(both[a], both[b])
        weighted[a].append((kappa, len(both)))
        weighted[b].append((kappa, len(both)))
    for name in NAMES:
        kappas, weights = zip(*weighted[name], strict=True)
        assert figures[name]["mean_kappa"] == pytest.approx(np.average(kappas, weights=weights))

    gold = frame.dropna(subset=["gold"])
    for name, mine in gold.groupby("annotator"):
        assert figures[name]["gold_n"] == len(mine)
        assert figures[name]["gold_accuracy"] == pytest.approx(accuracy_score(mine.gold, mine.value))

    labels = body["labels"]
    assert {entry["label"] for entry in labels} == set(LABELS)
    agreements = [entry["agreement"] for entry in labels]
    assert agreements == sorted(agreements)  # where the team disagrees most comes first
    assert body["agreement_fresh"] is True


def check_counts(body: dict, frame: pd.DataFrame) -> None:
    """Done all time, today, in the last seven days and per week, against pandas on the same annotations."""
    figures = {entry["annotator"]: entry for entry in body["annotators"]}
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    for name, mine in frame.groupby("annotator"):
        got = figures[name]
        assert got["done"] == len(mine)
        assert got["done_today"] == int((mine.created_at >= midnight).sum())
        assert got["done_week"] == int((mine.created_at >= now - timedelta(days=7)).sum())
        weeks = pd.to_datetime(body["weeks"]).date
        week_of = (mine.created_at.dt.tz_convert(None).dt.to_period("W-SUN").dt.start_time.dt.date).value_counts()
        assert got["weekly"] == [int(week_of.get(week, 0)) for week in weeks]


def test_stored_counts_and_the_annotations_since_add_up(
    api_client, manager, team, monkeypatch, django_capture_on_commit_callbacks
):
    """Counts stored up to a cut four days ago, the newer annotations counted on each view; a long
    tail is handed to a worker, once, and the figures stay exact meanwhile and after."""
    stored = team_refresh.team_counts_current(project=team, now=timezone.now() - timedelta(days=4))
    frame = annotation_frame(team)
    before = frame[frame.created_at < stored.cut]
    assert 0 < len(before) < len(frame)
    assert sum(sum(days.values()) for days in stored.counts.values()) == len(before)
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = api_client(manager).get(f"/api/projects/{team.pk}/team/")
    assert enqueued == []  # few enough since: not taken again
    assert TeamCounts.objects.get(project=team).cut == stored.cut
    check_counts(response.json(), frame)

    monkeypatch.setattr(team_services, "TAIL_REFRESH", 3)  # too many since the cut: a worker's job
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        first = api_client(manager).get(f"/api/projects/{team.pk}/team/")
        second = api_client(manager).get(f"/api/projects/{team.pk}/team/")
    assert len(enqueued) == 1  # once at a time per project, however many views
    row = TeamCounts.objects.get(project=team)
    assert row.cut == stored.cut and row.refreshing_since is not None  # the view did not count again
    check_counts(first.json(), frame)
    check_counts(second.json(), frame)

    refreshed = team_services.team_counts_refresh(project=team)  # what the worker runs
    assert refreshed.cut > stored.cut and refreshed.refreshing_since is None
    assert sum(sum(days.values()) for days in refreshed.counts.values()) == (frame.created_at < refreshed.cut).sum()
    check_counts(api_client(manager).get(f"/api/projects/{team.pk}/team/").json(), frame)


def test_a_refresh_never_puts_older_counts_over_newer(team):
    newer = team_services.team_counts_refresh(project=team)
    again = team_services.team_counts_refresh(project=team, now=timezone.now() - timedelta(days=4))
    assert again.cut == newer.cut and again.counts == newer.counts  # the late, older run changed nothing
    assert TeamCounts.objects.filter(project=team).count() == 1


def test_a_stuck_refresh_is_asked_for_again(team):
    stored = team_services.team_counts_refresh(project=team)
    now = timezone.now()
    assert team_services.team_counts_refresh_claim(stored=stored, now=now)
    assert not team_services.team_counts_refresh_claim(stored=stored, now=now + timedelta(minutes=1))
    later = now + team_services.REFRESH_STUCK + timedelta(seconds=1)  # its worker died: ask again
    assert team_services.team_counts_refresh_claim(stored=stored, now=later)


@pytest.mark.django_db(transaction=True)
def test_refreshes_at_once_keep_one_row_with_the_latest_counts(team):
    """Several workers counting at once, from no row at all: one row, the latest cut, exact counts."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    now = timezone.now()
    moments = [now - timedelta(days=day) for day in (0, 2, 4, 6)]
    start = threading.Barrier(len(moments))
    errors: list[BaseException] = []

    def refresh(moment):
        try:
            start.wait()
            team_services.team_counts_refresh(project=team, now=moment)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refresh, args=(moment,)) for moment in moments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = list(TeamCounts.objects.filter(project=team))
    assert len(rows) == 1 and rows[0].cut == now - team_services.CUT_MARGIN
    frame = annotation_frame(team)
    per_annotator = frame[frame.created_at < rows[0].cut].groupby("annotator").size()
    names = dict(UserFactory._meta.model.objects.values_list("pk", "username"))
    assert {names[int(pk)]: sum(days.values()) for pk, days in rows[0].counts.items()} == per_annotator.to_dict()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_takes_the_counts_again(celery_worker_process, api_client, manager, team, monkeypatch):
    stored = team_refresh.team_counts_current(project=team, now=timezone.now() - timedelta(days=4))
    monkeypatch.setattr(team_services, "TAIL_REFRESH", 3)
    frame = annotation_frame(team)
    check_counts(api_client(manager).get(f"/api/projects/{team.pk}/team/").json(), frame)
    refreshed = wait_for(
        lambda: (row := TeamCounts.objects.get(project=team)).cut > stored.cut and row,
        timeout=120,
        what=f"the worker's refresh; its log: {celery_worker_process.log()}",
    )
    assert refreshed.refreshing_since is None
    per_annotator = frame[frame.created_at < refreshed.cut].groupby("annotator").size()
    names = dict(UserFactory._meta.model.objects.values_list("pk", "username"))
    assert {names[int(pk)]: sum(days.values()) for pk, days in refreshed.counts.items()} == per_annotator.to_dict()
    check_counts(api_client(manager).get(f"/api/projects/{team.pk}/team/").json(), frame)
    assert celery_worker_process.succeeded("labeling.tasks.team_counts_refresh_task")


def test_pace_leaves_pauses_out():
    annotators = np.array([1, 1, 1, 1, 2, 2])
    seconds = np.array([0.0, 10.0, 40.0, 4000.0, 5.0, 6.0])
    assert median_seconds_per_item(annotators, seconds) == {1: 20.0, 2: 1.0}
    assert median_seconds_per_item(np.array([3]), np.array([1.0])) == {}


def test_who_may_ask(api_client, team, outsider):
    annotator = team.memberships.get(user__username="ann1").user
    assert api_client(annotator).get(f"/api/projects/{team.pk}/team/").status_code == 403
    assert api_client(outsider).get(f"/api/projects/{team.pk}/team/").status_code == 404
    manager = team.created_by
    response = api_client(manager).get(f"/api/projects/{team.pk}/team/", {"page": "2"})
    assert response.status_code == 400 and "unknown parameter page" in response.json()["detail"]
    assert api_client(manager).get(f"/api/projects/{team.pk}/team/", {"version": "9"}).status_code == 404


def test_the_page_shows_the_figures(team):
    client = Client()
    client.force_login(team.created_by)
    body = client.get(f"/projects/{team.pk}/team/").content.decode()
    assert 'id="team-table"' in body and 'data-annotator="ann2"' in body
    assert "Agreement per label, lowest first" in body
    annotator = team.memberships.get(user__username="ann1").user
    client.force_login(annotator)
    assert client.get(f"/projects/{team.pk}/team/").status_code == 403
