import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from quality.pipeline import services as quality_services
from tests.factories import UserFactory, add_member


def import_rows(project, user, rows: list[dict[str, object]], name: str = "batch.csv"):
    """Import rows in-process through the real pipeline and return the accepted batch."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    batch = quality_services.batch_upload(
        project=project, user=user, uploaded=SimpleUploadedFile(name, buffer.getvalue().encode()), enqueue=False
    )
    batch = quality_services.batch_import(batch_id=str(batch.pk))
    assert batch.status == "accepted", batch.error
    return batch


@pytest.fixture
def annotators(project):
    users = [UserFactory(username=f"ann{n}") for n in range(1, 5)]
    for user in users:
        add_member(project, user, "annotator")
    return users


@pytest.fixture
def loaded_project(project, manager):
    import_rows(project, manager, [{"id": f"t{n}", "text": f"text number {n}"} for n in range(6)])
    return project
