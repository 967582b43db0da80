"""Many annotators asking at once: real connections, one thread each, on the test database."""

import threading
import time
import uuid

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count
from django.utils import timezone

from datasets.models import Item
from labeling import services
from labeling.models import Annotation, Assignment, ItemState
from tests.factories import ProjectFactory, UserFactory, add_member
from tests.labeling.conftest import import_rows


@pytest.mark.django_db(transaction=True)
def test_fifty_annotators_at_once_never_exceed_the_overlap():
    annotator_count = 50 if connection.vendor == "postgresql" else 8
    manager = UserFactory(username="boss")
    project = ProjectFactory(user=manager, overlap=3, labels=["a", "b"])
    import_rows(project, manager, [{"text": f"sentence {n}"} for n in range(120)])
    users = [UserFactory(username=f"crowd{n}") for n in range(annotator_count)]
    for user in users:
        add_member(project, user, "annotator")
    services.queue_sync(project=project)

    start = threading.Barrier(annotator_count)
    errors: list[BaseException] = []

    def work(user) -> None:
        try:
            start.wait()
            while (item := services.next_item(project=project, user=user)) is not None:
                services.annotation_submit(item=item, user=user, request_uuid=uuid.uuid4(), value="a")
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors[:3]

    per_item = dict(Annotation.objects.values_list("item_id").annotate(n=Count("id")).values_list("item_id", "n"))
    assert per_item == {item_id: 3 for item_id in Item.objects.filter(project=project).values_list("id", flat=True)}
    assert not Annotation.objects.values("item_id", "annotator_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(ItemState.objects.filter(project=project).values_list("submitted", "held", "is_open")) == {(3, 0, False)}


@pytest.mark.django_db(transaction=True)
def test_the_same_submit_sent_at_once_stores_one_annotation():
    """A double click whose requests reach different server processes together."""
    senders = 12 if connection.vendor == "postgresql" else 4
    manager, annotator = UserFactory(username="boss"), UserFactory(username="clicker")
    project = ProjectFactory(user=manager, overlap=2, labels=["a", "b"])
    import_rows(project, manager, [{"text": "one sentence"}])
    add_member(project, annotator, "annotator")
    item = services.next_item(project=project, user=annotator)
    request_uuid = uuid.uuid4()

    start = threading.Barrier(senders)
    outcomes: list[tuple[str, bool]] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            start.wait()
            annotation, created = services.annotation_submit(
                item=item, user=annotator, request_uuid=request_uuid, value="b"
            )
            outcomes.append((str(annotation.uuid), created))
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    assert sorted(created for _, created in outcomes) == [False] * (senders - 1) + [True]
    assert {annotation_uuid for annotation_uuid, _ in outcomes} == {str(request_uuid)}
    assert Annotation.objects.filter(item=item).count() == 1
    state = ItemState.objects.get(item=item)
    assert (state.submitted, state.held, state.is_open) == (1, 0, True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only")
def test_a_lease_running_out_during_its_own_submit_is_left_to_the_submit():
    """The release of expired leases and a submit lock the same two rows: in the same order, or
    PostgreSQL finds a deadlock and aborts one of them."""
    manager, annotator = UserFactory(username="boss"), UserFactory(username="slow")
    project = ProjectFactory(user=manager, overlap=1, labels=["a", "b"])
    import_rows(project, manager, [{"text": "one sentence"}])
    add_member(project, annotator, "annotator")
    item = services.next_item(project=project, user=annotator)
    Assignment.objects.filter(item=item).update(leased_until=timezone.now() - timezone.timedelta(minutes=1))

    state_locked, release_blocked_or_done = threading.Event(), threading.Event()
    released: list[int] = []
    release_pid: list[int] = []
    errors: list[BaseException] = []

    def submit_like() -> None:
        """A submit's locks, in its order: the item's queue row, then the caller's assignment."""
        try:
            with transaction.atomic():
                ItemState.objects.select_for_update().get(item=item)
                state_locked.set()
                release_blocked_or_done.wait(timeout=30)
                Assignment.objects.select_for_update().get(item=item, annotator=annotator)
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connections.close_all()

    def release() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                release_pid.append(cursor.fetchone()[0])
            state_locked.wait(timeout=30)
            released.append(services.assignments_release_expired(project=project))
        except BaseException as exc:
            errors.append(exc)
        finally:
            release_blocked_or_done.set()
            connections.close_all()

    threads = [threading.Thread(target=submit_like), threading.Thread(target=release)]
    for thread in threads:
        thread.start()
    state_locked.wait(timeout=30)
    with connections["default"].cursor() as cursor:  # the release either finishes or waits on a row lock
        while not release_blocked_or_done.is_set():
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", release_pid)
            if cursor.fetchone() == ("Lock",):
                release_blocked_or_done.set()
            time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[:3]
    assert released == [0]  # the item's row was busy: its lease is left for this time
    assert services.assignments_release_expired(project=project) == 1
    state = ItemState.objects.get(item=item)
    assert (state.held, state.is_open) == (0, True)
