import uuid

import pytest

from datasets.models import Item
from labeling.models import Annotation, ItemState
from labeling.serializers import AnnotationSerializer, QueueItemSerializer
from tests.factories import ProjectFactory, UserFactory, add_member
from tests.labeling.conftest import import_rows


@pytest.fixture
def annotator_client(loaded_project, annotators, api_client):
    return api_client(annotators[0])


def test_next_then_submit_then_the_same_uuid_again(loaded_project, annotator_client):
    response = annotator_client.get(f"/api/projects/{loaded_project.pk}/next/")
    assert response.status_code == 200
    item = response.json()["item"]
    assert set(item) == {"id", "external_id", "data", "metadata", "augmentation"}
    assert item["augmentation"] is None  # an original; an augmented copy names its method
    body = {"uuid": str(uuid.uuid4()), "value": "positive"}
    first = annotator_client.post(f"/api/items/{item['id']}/annotations/", body, format="json")
    again = annotator_client.post(f"/api/items/{item['id']}/annotations/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["annotator"] == "ann1" and first.json()["revision"] == 1
    assert Annotation.objects.count() == 1


def test_next_and_submit_answer_what_their_serializers_would(loaded_project, annotator_client):
    """Both build their answer without a serializer; the shape must stay the serializers' own."""
    item = annotator_client.get(f"/api/projects/{loaded_project.pk}/next/").json()["item"]
    assert item == QueueItemSerializer(Item.objects.get(pk=item["id"])).data
    body = {"uuid": str(uuid.uuid4()), "value": "positive"}
    created = annotator_client.post(f"/api/items/{item['id']}/annotations/", body, format="json").json()
    stored = Annotation.objects.select_related("annotator").get(uuid=body["uuid"])
    assert created == AnnotationSerializer(stored).data
    assert annotator_client.get(f"/api/annotations/{body['uuid']}/").json() == created


def test_nothing_left_answers_204(loaded_project, annotator_client):
    for _ in range(6):
        item = annotator_client.get(f"/api/projects/{loaded_project.pk}/next/").json()["item"]
        body = {"uuid": str(uuid.uuid4()), "value": "negative"}
        assert annotator_client.post(f"/api/items/{item['id']}/annotations/", body, format="json").status_code == 201
    assert annotator_client.get(f"/api/projects/{loaded_project.pk}/next/").status_code == 204
    progress = annotator_client.get(f"/api/projects/{loaded_project.pk}/progress/").json()
    assert progress == {"done_today": 6, "done_total": 6, "left": 0, "skipped": 0}


@pytest.mark.parametrize(
    "value, message",
    [("great", "one of the project's labels"), (["positive"], "one of the project's labels"), (None, "")],
)
def test_a_label_outside_the_schema_is_400(loaded_project, annotator_client, value, message):
    item = annotator_client.get(f"/api/projects/{loaded_project.pk}/next/").json()["item"]
    response = annotator_client.post(
        f"/api/items/{item['id']}/annotations/", {"uuid": str(uuid.uuid4()), "value": value}, format="json"
    )
    assert response.status_code == 400
    assert message in str(response.json())
    assert not Annotation.objects.exists()


def test_edit_keeps_history_and_refuses_a_stale_revision(loaded_project, annotator_client):
    item = annotator_client.get(f"/api/projects/{loaded_project.pk}/next/").json()["item"]
    created = annotator_client.post(
        f"/api/items/{item['id']}/annotations/", {"uuid": str(uuid.uuid4()), "value": "positive"}, format="json"
    ).json()
    url = f"/api/annotations/{created['uuid']}/"
    change = {"value": "neutral", "revision": 1, "uuid": str(uuid.uuid4())}
    assert annotator_client.put(url, change, format="json").json()["revision"] == 2
    stale = annotator_client.put(url, {**change, "uuid": str(uuid.uuid4()), "value": "negative"}, format="json")
    assert stale.status_code == 409
    revisions = annotator_client.get(url + "revisions/").json()
    assert [(r["number"], r["value"]) for r in revisions] == [(1, "positive"), (2, "neutral")]


def test_a_uuid_already_used_for_a_change_is_409_and_stores_nothing(loaded_project, annotator_client):
    first = annotator_client.get(f"/api/projects/{loaded_project.pk}/next/").json()["item"]
    created = annotator_client.post(
        f"/api/items/{first['id']}/annotations/", {"uuid": str(uuid.uuid4()), "value": "positive"}, format="json"
    ).json()
    change = {"value": "neutral", "revision": 1, "uuid": str(uuid.uuid4())}
    assert annotator_client.put(f"/api/annotations/{created['uuid']}/", change, format="json").status_code == 200
    second = annotator_client.get(f"/api/projects/{loaded_project.pk}/next/").json()["item"]
    reused = annotator_client.post(
        f"/api/items/{second['id']}/annotations/", {"uuid": change["uuid"], "value": "negative"}, format="json"
    )
    assert reused.status_code == 409
    assert "change of another annotation" in reused.json()["detail"]
    assert not Annotation.objects.filter(item_id=second["id"]).exists()
    assert ItemState.objects.get(item_id=second["id"]).submitted == 0


def test_skip_with_a_reason(loaded_project, annotator_client):
    item = annotator_client.get(f"/api/projects/{loaded_project.pk}/next/").json()["item"]
    response = annotator_client.post(f"/api/items/{item['id']}/skip/", {"reason": "sarcasm?"}, format="json")
    assert response.json() == {"status": "skipped"}
    assert annotator_client.post(f"/api/items/{item['id']}/skip/", {}, format="json").status_code == 409
    assert annotator_client.get(f"/api/projects/{loaded_project.pk}/next/").json()["item"]["id"] != item["id"]


def test_history_lists_only_my_annotations(loaded_project, annotators, api_client):
    for user in annotators[:2]:
        client = api_client(user)
        item = client.get(f"/api/projects/{loaded_project.pk}/next/").json()["item"]
        client.post(
            f"/api/items/{item['id']}/annotations/", {"uuid": str(uuid.uuid4()), "value": "positive"}, format="json"
        )
    history = api_client(annotators[0]).get(f"/api/projects/{loaded_project.pk}/my-annotations/").json()
    assert history["count"] == 1 and history["results"][0]["annotator"] == "ann1"


def test_an_annotator_sees_only_their_annotations_of_an_item(loaded_project, annotators, reviewer, api_client):
    item = loaded_project.items.first()
    for user in annotators[:2]:
        api_client(user).post(
            f"/api/items/{item.pk}/annotations/", {"uuid": str(uuid.uuid4()), "value": "positive"}, format="json"
        )
    assert len(api_client(annotators[0]).get(f"/api/items/{item.pk}/annotations/").json()) == 1
    assert len(api_client(reviewer).get(f"/api/items/{item.pk}/annotations/").json()) == 2
    other = Annotation.objects.exclude(annotator=annotators[0]).first()
    assert api_client(annotators[0]).get(f"/api/annotations/{other.uuid}/").status_code == 404
    change = {"value": "neutral", "revision": 1, "uuid": str(uuid.uuid4())}
    assert api_client(reviewer).put(f"/api/annotations/{other.uuid}/", change, format="json").status_code == 403


def test_another_projects_ids_answer_404(loaded_project, annotators, api_client):
    stranger = UserFactory(username="stranger")
    own = ProjectFactory(user=stranger, name="Own")
    import_rows(own, stranger, [{"text": "mine"}])
    item = loaded_project.items.first()
    annotation_uuid = str(uuid.uuid4())
    api_client(annotators[0]).post(
        f"/api/items/{item.pk}/annotations/", {"uuid": annotation_uuid, "value": "positive"}, format="json"
    )
    client = api_client(stranger)
    body = {"uuid": str(uuid.uuid4()), "value": "positive"}
    for method, url, data in [
        ("get", f"/api/projects/{loaded_project.pk}/next/", None),
        ("get", f"/api/projects/{loaded_project.pk}/progress/", None),
        ("get", f"/api/projects/{loaded_project.pk}/my-annotations/", None),
        ("get", f"/api/items/{item.pk}/annotations/", None),
        ("post", f"/api/items/{item.pk}/annotations/", body),
        ("post", f"/api/items/{item.pk}/skip/", {}),
        ("get", f"/api/annotations/{annotation_uuid}/", None),
        ("put", f"/api/annotations/{annotation_uuid}/", {"value": "x", "revision": 1, "uuid": str(uuid.uuid4())}),
        ("get", f"/api/annotations/{annotation_uuid}/revisions/", None),
        ("get", "/api/annotations/not-a-uuid/", None),
        ("get", "/api/items/999999/annotations/", None),
    ]:
        response = (
            getattr(client, method)(url, data, format="json") if data is not None else getattr(client, method)(url)
        )
        assert response.status_code == 404, (method, url, response.status_code)


def test_unauthenticated_is_401(loaded_project, client):
    assert client.get(f"/api/projects/{loaded_project.pk}/next/").status_code in (401, 403)


def test_an_item_still_importing_is_not_found(project, manager, annotators, api_client):
    from datasets.models import Item

    add_member(project, annotators[0], "annotator")
    batch = import_rows(project, manager, [{"text": "visible"}])
    invisible = Item.objects.create(project=project, batch=batch, data={"text": "pending"}, content_hash="0" * 64)
    batch.version = None
    batch.save(update_fields=["version"])
    response = api_client(annotators[0]).post(
        f"/api/items/{invisible.pk}/annotations/", {"uuid": str(uuid.uuid4()), "value": "positive"}, format="json"
    )
    assert response.status_code == 404


def test_progress_counts_a_new_version_before_the_first_next(loaded_project, annotator_client):
    progress = annotator_client.get(f"/api/projects/{loaded_project.pk}/progress/").json()
    assert progress == {"done_today": 0, "done_total": 0, "left": 6, "skipped": 0}
