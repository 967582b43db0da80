import uuid

import pytest
from django.utils import timezone

from labeling import services
from labeling.models import Annotation, AnnotationRevision, Assignment, ItemState
from tests.labeling.conftest import import_rows


def label(item, user, value="positive"):
    return services.annotation_submit(item=item, user=user, request_uuid=uuid.uuid4(), value=value)


def test_each_item_goes_to_overlap_different_annotators_and_no_one_twice(loaded_project, annotators):
    project = loaded_project  # overlap 2, 6 items
    given: dict[int, list[str]] = {}
    for user in annotators:
        while (item := services.next_item(project=project, user=user)) is not None:
            assert user.username not in given.setdefault(item.pk, [])
            given[item.pk].append(user.username)
            label(item, user)
    assert sorted(len(users) for users in given.values()) == [2] * 6
    assert set(ItemState.objects.values_list("submitted", "held", "is_open")) == {(2, 0, False)}


def test_started_items_come_first(loaded_project, annotators):
    first = services.next_item(project=loaded_project, user=annotators[0])
    label(first, annotators[0])
    assert services.next_item(project=loaded_project, user=annotators[1]).pk == first.pk


def test_a_held_item_comes_back_after_a_reload(loaded_project, annotators):
    item = services.next_item(project=loaded_project, user=annotators[0])
    assert services.next_item(project=loaded_project, user=annotators[0]).pk == item.pk


def test_an_expired_lease_releases_the_item(loaded_project, annotators, settings):
    loaded_project.overlap = 1
    loaded_project.save()
    held = [services.next_item(project=loaded_project, user=annotators[0])]
    Assignment.objects.filter(annotator=annotators[0]).update(leased_until=timezone.now() - timezone.timedelta(1))
    # the walked-away annotator's item is free again and, being started, comes first for the next one
    assert services.next_item(project=loaded_project, user=annotators[1]).pk == held[0].pk
    assert not Assignment.objects.filter(annotator=annotators[0]).exists()


def test_two_expired_leases_of_one_item_both_come_back(loaded_project, annotators):
    """Each lease that runs out gives back its own slot, also when two of one item run out together."""
    item = services.next_item(project=loaded_project, user=annotators[0])
    assert services.next_item(project=loaded_project, user=annotators[1]).pk == item.pk  # started first
    Assignment.objects.filter(item=item).update(leased_until=timezone.now() - timezone.timedelta(1))
    assert services.assignments_release_expired(project=loaded_project) == 2
    state = ItemState.objects.get(item=item)
    assert (state.held, state.is_open) == (0, True)
    assert [services.next_item(project=loaded_project, user=user).pk for user in annotators[2:]] == [item.pk] * 2


def test_the_same_uuid_twice_stores_one_annotation(loaded_project, annotators):
    item = services.next_item(project=loaded_project, user=annotators[0])
    request = uuid.uuid4()
    first, created = services.annotation_submit(item=item, user=annotators[0], request_uuid=request, value="positive")
    again, created_again = services.annotation_submit(
        item=item, user=annotators[0], request_uuid=request, value="positive"
    )
    assert (created, created_again, first.pk) == (True, False, again.pk)
    assert Annotation.objects.count() == 1
    assert ItemState.objects.get(item=item).submitted == 1


def test_annotating_by_id_respects_the_overlap(loaded_project, annotators):
    item = loaded_project.items.first()
    label(item, annotators[0])
    label(item, annotators[1])
    with pytest.raises(services.Conflict, match="all 2 annotations"):
        label(item, annotators[2])


def test_a_held_slot_counts_against_annotating_by_id(loaded_project, annotators):
    loaded_project.overlap = 1
    loaded_project.save()
    item = services.next_item(project=loaded_project, user=annotators[0])
    with pytest.raises(services.Conflict):
        label(item, annotators[1])
    label(item, annotators[0])


def test_skipped_items_come_back_last(loaded_project, annotators):
    user = annotators[0]
    skipped = services.next_item(project=loaded_project, user=user)
    services.item_skip(item=skipped, user=user, reason="unclear")
    seen = []
    while (item := services.next_item(project=loaded_project, user=user)) is not None:
        seen.append(item.pk)
        if item.pk == skipped.pk:
            break
        label(item, user)
    assert seen[-1] == skipped.pk and seen.count(skipped.pk) == 1 and len(seen) == 6


def test_revisions_are_kept_and_a_stale_write_is_refused(loaded_project, annotators):
    item = services.next_item(project=loaded_project, user=annotators[0])
    annotation, _ = label(item, annotators[0], "positive")
    change = uuid.uuid4()
    revised = services.annotation_revise(
        annotation=annotation, user=annotators[0], value="negative", base_revision=1, request_uuid=change
    )
    assert revised.revision == 2 and revised.value == "negative"
    # the same change again is a no-op; a change made from revision 1 is stale
    services.annotation_revise(
        annotation=annotation, user=annotators[0], value="negative", base_revision=1, request_uuid=change
    )
    with pytest.raises(services.Conflict, match="revision 2"):
        services.annotation_revise(
            annotation=annotation, user=annotators[0], value="neutral", base_revision=1, request_uuid=uuid.uuid4()
        )
    assert list(AnnotationRevision.objects.order_by("number").values_list("number", "value")) == [
        (1, "positive"),
        (2, "negative"),
    ]


def test_new_versions_join_the_queue(loaded_project, manager, annotators):
    loaded_project.overlap = 1
    loaded_project.save()
    user = annotators[0]
    while (item := services.next_item(project=loaded_project, user=user)) is not None:
        label(item, user)
    import_rows(loaded_project, manager, [{"text": "fresh text"}], name="more.csv")
    item = services.next_item(project=loaded_project, user=user)
    assert item.data == {"text": "fresh text"}


def test_raising_the_overlap_reopens_items(loaded_project, annotators):
    services.project_settings_update(project=loaded_project, overlap=1)
    user = annotators[0]
    while (item := services.next_item(project=loaded_project, user=user)) is not None:
        label(item, user)
    assert services.next_item(project=loaded_project, user=annotators[1]) is None
    services.project_settings_update(project=loaded_project, overlap=2)
    assert services.next_item(project=loaded_project, user=annotators[1]) is not None
