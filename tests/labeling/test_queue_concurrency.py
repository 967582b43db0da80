"""Many annotators asking at once: real connections, one thread each, on the test database."""

import threading
import uuid

import pytest
from django.db import connection, connections
from django.db.models import Count

from labeling import services
from labeling.models import Annotation, ItemState
from projects.models import Item
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
