"""Label Studio's JSON task export uploaded as a batch: its tasks' data become items."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.files.frames import FrameReader
from datasets.label_columns import LABELSTUDIO_COLUMN
from datasets.models import Item
from labeling.exports import export_stream
from quality.pipeline import services
from tests.datasets.test_file_reader import read
from tests.factories import ProjectFactory
from tests.labeling.conftest import import_rows

# As Label Studio exports a text classification project (JSON), annotations and predictions included.
LABEL_STUDIO_EXPORT = [
    {
        "id": 101,
        "data": {"text": "Great battery, lasts days", "channel": "web", "stars": 4.5},
        "annotations": [
            {"id": 1, "completed_by": 1, "result": [{"type": "choices", "value": {"choices": ["positive"]}}]}
        ],
        "predictions": [],
        "meta": {},
        "created_at": "2024-03-05T12:00:00.000000Z",
        "project": 7,
    },
    {"id": 102, "data": {"text": "Screen cracked in a week"}, "annotations": [], "predictions": []},
]


def test_label_studio_tasks_read_as_rows_of_their_data(tmp_path):
    path = tmp_path / "project-7-at-2024-03-05.json"
    path.write_text(json.dumps(LABEL_STUDIO_EXPORT, indent=2))
    rows = read(path, "json")
    assert [(text, id_, {k: v for k, v in meta.items() if k != LABELSTUDIO_COLUMN}) for text, id_, meta in rows] == [
        ("Great battery, lasts days", "101", {"channel": "web", "stars": 4.5}),
        ("Screen cracked in a week", "102", {}),
    ]
    # The annotations ride along for the import to store as labels; they never become metadata.
    assert rows[0][2][LABELSTUDIO_COLUMN] == {"annotations": LABEL_STUDIO_EXPORT[0]["annotations"]}
    assert LABELSTUDIO_COLUMN not in rows[1][2]
    reader = FrameReader(path, "json", content_column="text", max_rows=100, max_field_bytes=10_000)
    frame = next(iter(reader.chunks()))  # validation sees the same columns the items get
    assert list(frame["text"]) == ["Great battery, lasts days", "Screen cracked in a week"]
    assert str(frame["stars"].dtype) == "float64" and "annotations" not in frame.columns


def test_our_label_studio_export_uploads_back_as_the_same_items(project, manager):
    import_rows(
        project,
        manager,
        [
            {"id": "a-1", "text": "Refund took <b>weeks</b>", "channel": "email", "rating": 2},
            {"id": "a-2", "text": "Works as described", "channel": "web", "rating": 5},
        ],
    )
    exported = b"".join(export_stream(project=project, number=1, export_format="labelstudio"))

    other = ProjectFactory(user=manager, labels=["positive", "negative"])
    batch = services.batch_upload(
        project=other, user=manager, uploaded=SimpleUploadedFile("from-label-studio.json", exported), enqueue=False
    )
    batch = services.batch_import(batch_id=str(batch.pk))
    assert batch.status == "accepted", batch.error

    def items(of) -> list[tuple]:
        return sorted(Item.objects.filter(project=of).values_list("external_id", "data", "metadata"))

    assert items(other) == items(project)
