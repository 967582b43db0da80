"""The inherit label policy: a hashed sample of inherit items goes to people, the rest never waits in
the queue; the inherited label follows its source and is never counted as anyone's annotation."""

import json
import uuid

import pytest

from datasets.models import Augmentation, Item
from labeling import services as labeling
from labeling.models import ItemState
from labeling.review.services.decisions import adjudication_create
from tests.projects.helpers import csv_bytes, import_file

TYPOS = [f"a fine day number {n}" for n in range(12)]


def _hash_chosen(content_hash: str, share: float) -> bool:
    """The sample rule, said independently: the first 32 bits of the hash as a fraction below the share."""
    return int(content_hash[:8], 16) / 2**32 < share


@pytest.fixture
def inherited(project, manager, annotator, reviewer):
    project.inherit_check_share = 0.5
    project.save(update_fields=["inherit_check_share"])
    assert import_file(project, manager, "v1.csv", csv_bytes("a fine day", "a rainy day")).status == "accepted"
    source = Item.objects.get(project=project, external_id="r1")
    other = Item.objects.get(project=project, external_id="r2")
    for user in (annotator, reviewer):
        labeling.annotation_submit(item=source, user=user, request_uuid=uuid.uuid4(), value="positive")
    lines = ["text,source_item,augmentation_method,augmentation_label_policy"]
    lines += [f"{text},{source.pk},typo,inherit" for text in TYPOS]
    lines += [f"a rainy dya,{other.pk},typo,relabel", f"A RAINY DAY,{other.pk},upper,inherit"]
    assert import_file(project, manager, "aug.csv", ("\n".join(lines) + "\n").encode()).status == "accepted"
    return source


def test_only_the_hashed_sample_of_inherit_items_waits_for_people(project, annotator, inherited):
    labeling.queue_sync(project=project)
    queued = set(ItemState.objects.filter(project=project).values_list("item_id", flat=True))
    inherit = Augmentation.objects.filter(item__project=project, label_policy="inherit").select_related("item")
    chosen = {a.item_id for a in inherit if _hash_chosen(a.item.content_hash, 0.5)}
    assert 0 < len(chosen) < inherit.count()  # the sample is neither none nor all of them
    assert {a.item_id for a in inherit if a.label_check} == chosen
    relabel = Augmentation.objects.get(item__project=project, label_policy="relabel").item_id
    originals = set(Item.objects.filter(project=project, source__isnull=True).values_list("pk", flat=True))
    assert queued == originals | {relabel} | chosen


def test_people_agree_or_not_with_the_inherited_label_per_method(
    project, api_client, manager, annotator, reviewer, inherited
):
    sampled = list(
        Augmentation.objects.filter(item__project=project, method="typo", label_check=True).order_by("item_id")
    )
    agree, disagree = sampled[0].item, sampled[1].item
    labeling.annotation_submit(item=agree, user=annotator, request_uuid=uuid.uuid4(), value="positive")
    labeling.annotation_submit(item=disagree, user=annotator, request_uuid=uuid.uuid4(), value="negative")
    url = f"/api/projects/{project.pk}/augmentations/inherit-checks/"
    body = api_client(reviewer).get(url).json()
    typo = next(m for m in body["methods"] if m["method"] == "typo")
    assert body["inherit_check_share"] == 0.5
    assert (typo["sampled"], typo["settled"], typo["agreed"], typo["agreement"]) == (len(sampled), 2, 1, 0.5)
    assert api_client(annotator).get(url).status_code == 403
    client = api_client(manager)
    client.force_login(manager)
    page = client.get(f"/projects/{project.pk}/versions/2/").content.decode()
    assert 'id="inherit-checks"' in page and "1 (50%)" in page


def test_the_inherited_label_follows_its_source_and_is_no_annotation(project, api_client, manager, reviewer, inherited):
    client = api_client(manager)

    def finals() -> dict[str, tuple]:
        response = client.get(f"/api/projects/{project.pk}/versions/2/export/", {"format": "jsonl"})
        records = map(json.loads, b"".join(response.streaming_content).splitlines())
        return {r["data"]["text"]: (r["final"], r["final_source"], r["annotations"]) for r in records}

    unchecked = Augmentation.objects.filter(item__project=project, method="typo", label_check=False).first().item
    assert finals()[unchecked.data["text"]] == ("positive", "inherited", [])
    adjudication_create(item=inherited, reviewer=reviewer, value="negative", note="on second thought")
    assert finals()[unchecked.data["text"]] == ("negative", "inherited", [])

    agreement = api_client(reviewer).get(f"/api/projects/{project.pk}/agreement/").json()
    assert agreement["items_compared"] == 1 and agreement["annotations"] == 2  # the source's two, nothing inherited
    consensus = api_client(reviewer).get(f"/api/projects/{project.pk}/consensus/").json()
    assert [row["item"] for row in consensus["results"]] == [inherited.pk]


def test_the_share_is_a_project_setting_between_0_and_1(project, api_client, manager):
    client = api_client(manager)
    url = f"/api/projects/{project.pk}/"
    assert client.get(url).json()["inherit_check_share"] == 0.05
    assert client.patch(url, {"inherit_check_share": 1.5}, format="json").status_code == 400
    assert client.patch(url, {"inherit_check_share": 0.2}, format="json").json()["inherit_check_share"] == 0.2
