"""Importing a batch in-process, for tests that need items but not a worker."""

from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.models import Batch
from projects.models import Project
from quality.pipeline import services


def import_file(project: Project, user, name: str, content: bytes) -> Batch:
    """Upload ``content`` as ``name`` and run the import here; return the finished batch."""
    batch = services.batch_upload(project=project, user=user, uploaded=SimpleUploadedFile(name, content), enqueue=False)
    services.batch_import(batch_id=str(batch.pk))
    batch.refresh_from_db()
    return batch


def csv_bytes(*texts: str, header: str = "id,text") -> bytes:
    """A CSV with one row per text, ids ``r1``, ``r2``..."""
    rows = [header] + [f"r{index},{text}" for index, text in enumerate(texts, start=1)]
    return ("\n".join(rows) + "\n").encode()
