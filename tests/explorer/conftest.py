"""A small explored project: two versions of texts with metadata, annotations by two
annotators, one adjudicated item."""

import json
import uuid
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.models import Item
from labeling import services as labeling_services
from labeling.review import services as review_services
from projects.models import Project
from quality.pipeline import services as quality_services
from tests.factories import ProjectFactory, UserFactory, add_member


def import_rows(project: Project, user, rows: list[dict]) -> None:
    body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
    batch = quality_services.batch_upload(
        project=project, user=user, uploaded=SimpleUploadedFile("rows.jsonl", body), enqueue=False
    )
    batch = quality_services.batch_import(batch_id=str(batch.pk))
    assert batch is not None and batch.status == "accepted", batch and batch.error


def submit(item: Item, user, value) -> None:
    labeling_services.annotation_submit(item=item, user=user, request_uuid=uuid.uuid4(), value=value)


@dataclass
class Explored:
    project: Project
    items: dict[str, Item]


FIRST = [
    {"id": "e1", "text": "Refund my order please", "channel": "email"},
    {"id": "e2", "text": "Great service, thanks", "channel": "email"},
    {"id": "c1", "text": "Where is my parcel", "channel": "chat"},
]
SECOND = [
    {"id": "c2", "text": "The parcel arrived broken", "channel": "chat"},
    {"id": "w1", "text": "Love the new app", "channel": "web"},
]


def build_explored(manager) -> Explored:
    project = ProjectFactory(user=manager, name="Support", overlap=3)
    first, second = UserFactory(username="ann1"), UserFactory(username="ann2")
    add_member(project, first, "annotator")
    add_member(project, second, "annotator")
    add_member(project, UserFactory(username="reviewer"), "reviewer")
    import_rows(project, manager, FIRST)
    import_rows(project, manager, SECOND)
    items = {item.external_id: item for item in Item.objects.filter(project=project)}
    submit(items["e1"], first, "negative")
    submit(items["e1"], second, "negative")  # consensus negative
    submit(items["e2"], first, "positive")
    submit(items["e2"], second, "neutral")  # a tie, then adjudicated positive
    submit(items["c2"], first, "negative")
    item = Item.objects.select_related("project").get(pk=items["e2"].pk)
    review_services.adjudication_create(item=item, reviewer=manager, value="positive", note="clearly happy")
    return Explored(project=project, items=items)


@pytest.fixture
def explored(manager) -> Explored:
    return build_explored(manager)
