"""What a worker does with an export job: write the file a chunk at a time, then store it.

The bytes go to a temporary file and move into storage only when complete, so a job that
dies leaves no half file behind a download link. Progress is the share of the version's id
range read so far (exact for a whole version, an estimate for a selection), saved at most
once a second.
"""

import tempfile
import time
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from config.errors import DomainError
from datasets.selectors import items_in_version
from labeling import exports
from labeling.exports.naming import export_filename
from labeling.exports.selection import export_options_parse
from labeling.models import ExportJob, ExportJobStatus

PROGRESS_EVERY_SECONDS = 1.0


def export_job_run(*, job_id: str) -> ExportJob | None:
    """Write the job's file; a job already done or failed is left as it is (a repeat is harmless)."""
    job = ExportJob.objects.select_related("project").filter(pk=job_id).first()
    if job is None or not job.is_active:
        return job
    project = job.project
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJobStatus.RUNNING, progress=0, items_written=0)
    try:
        options = export_options_parse(job.filters, project=project)
        ids = items_in_version(project=project, number=job.version).values_list("id", flat=True)
        first, last = ids.first(), ids.order_by("-id").first()
        tracker = _Progress(job=job, first=first or 0, last=last or 0)
        name = export_filename(project=project, number=job.version, export_format=job.format, layout=job.layout)
        with tempfile.NamedTemporaryFile(prefix="export-", suffix=Path(name).suffix) as handle:
            for part in exports.export_stream(
                project=project,
                number=job.version,
                export_format=job.format,
                selection=options.selection,
                layout=job.layout,
                progress=tracker.chunk_written,
            ):
                handle.write(part)
            handle.flush()
            size = handle.tell()
            handle.seek(0)
            stored = default_storage.save(f"exports/{project.pk}/{job.pk}/{name}", File(handle, name=name))
    except Exception as exc:  # kept on the row so the page can say what failed
        error = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJobStatus.FAILED, error=error, finished_at=timezone.now()
        )
        if isinstance(exc, DomainError):
            return ExportJob.objects.get(pk=job.pk)
        raise
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJobStatus.DONE,
        progress=1,
        items_written=tracker.items,
        file=stored,
        size=size,
        finished_at=timezone.now(),
    )
    return ExportJob.objects.get(pk=job.pk)


class _Progress:
    def __init__(self, *, job: ExportJob, first: int, last: int) -> None:
        self.job_id = job.pk
        self.first = first
        self.span = max(last - first, 1)
        self.items = 0
        self.saved_at = 0.0

    def chunk_written(self, count: int, last_id: int) -> None:
        self.items += count
        now = time.monotonic()
        if now - self.saved_at < PROGRESS_EVERY_SECONDS:
            return
        self.saved_at = now
        share = min(max((last_id - self.first) / self.span, 0.0), 0.99)
        ExportJob.objects.filter(pk=self.job_id).update(progress=share, items_written=self.items)
