"""Import a batch file from the command line, in this process, showing progress."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from projects.models import Project
from quality.pipeline import services


class Command(BaseCommand):
    help = "Upload FILE into PROJECT as a new batch and import it here, without a worker."

    def add_arguments(self, parser) -> None:
        parser.add_argument("project", type=int, help="project id")
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="the uploader: a manager of the project")
        parser.add_argument("--format", choices=["csv", "jsonl", "json", "parquet"])

    def handle(self, *args, project: int, file: Path, user: str, format: str | None, **options) -> None:
        project_obj = Project.objects.filter(pk=project).first()
        if project_obj is None:
            raise CommandError(f"there is no project {project}")
        uploader = get_user_model().objects.filter(username=user).first()
        if uploader is None or not project_obj.memberships.filter(user=uploader, role="manager").exists():
            raise CommandError(f"{user!r} is not a manager of project {project}")
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        with file.open("rb") as handle:
            uploaded = File(handle, name=file.name)
            uploaded.size = file.stat().st_size
            try:
                batch = services.batch_upload(
                    project=project_obj, user=uploader, uploaded=uploaded, fmt=format, enqueue=False
                )
            except DomainError as exc:
                raise CommandError(exc.message) from None

        shown = [-1.0]
        self.stderr.style_func = None  # progress is not an error: no red in a terminal

        def show(fraction: float) -> None:
            if fraction - shown[0] < 0.001:  # a line per tenth of a percent, not per report
                return
            shown[0] = fraction
            step = "validating" if fraction < services.VALIDATION_SHARE else "importing"
            self.stderr.write(f"\r  {step} {file.name}: {fraction:6.1%}", ending="")
            self.stderr.flush()

        batch = services.batch_import(batch_id=str(batch.pk), on_report=show)
        self.stderr.write("")
        if batch is not None and batch.status == "quarantined":
            failed = [r for r in batch.results if not r.get("success") and r.get("severity") == "critical"]
            names = ", ".join(f"{r['check']} {r.get('type', '')} {r.get('column') or ''}".strip() for r in failed[:5])
            raise CommandError(
                f"batch {batch.pk} quarantined: {len(failed)} critical check(s) failed ({names}); "
                f"see /projects/{project}/batches/{batch.pk}/ to accept or reject it"
            )
        if batch is None or batch.status != "accepted":
            raise CommandError(f"batch {batch.pk if batch else ''} {batch.status if batch else ''}: {batch.error}")
        version = f"version {batch.version.number}" if batch.version else "no new version"
        self.stdout.write(
            self.style.SUCCESS(
                f"{batch.rows_total:,} rows: {batch.rows_added:,} added, {batch.rows_duplicate:,} duplicates; {version}"
            )
        )
