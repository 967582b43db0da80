"""Load the demo: users, a sentiment project and two dataset versions, through the real pipeline."""

import csv
import io
import json

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction

from datasets.models import DatasetVersion
from demo.data import DEMO_SUITE, GUIDELINES, demo_bad_batch, demo_reviews
from demo.labels import demo_label, demo_labelstudio_export
from demo.suggestions import demo_suggest
from demo.tickets import MODEL as TICKET_MODEL
from demo.tickets import NAME as TICKETS
from demo.tickets import demo_tickets
from labeling.exports import jobs as export_jobs
from labeling.exports.job_run import export_job_run
from projects import services
from projects.models import Project
from quality.augment import services as augment_services
from quality.leakage import services as leakage_services
from quality.pipeline import services as quality_services
from quality.reports import services as report_services
from quality.splits import services as split_services
from quality.suites.services import suite_set

PASSWORD = "groundwork"
PROJECT_NAME = "Product reviews"
USERS = [("manager", "manager"), ("reviewer", "reviewer"), ("annotator1", "annotator"),
         ("annotator2", "annotator"), ("annotator3", "annotator")]  # fmt: skip


def _csv(rows: list[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


class Command(BaseCommand):
    help = "Create the demo users and project (idempotent: a second run changes nothing)."

    def handle(self, *args, **options) -> None:
        user_model = get_user_model()
        users = {}
        for username, _role in USERS:
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            if created:
                user.set_password(PASSWORD)
                user.is_staff = user.is_superuser = username == "manager"
                user.save()
            users[username] = user
        if Project.objects.filter(name=PROJECT_NAME, created_by=users["manager"]).exists():
            self.stdout.write("Demo already loaded.")
            return
        with transaction.atomic():
            project = services.project_create(
                user=users["manager"],
                name=PROJECT_NAME,
                task_type="classification",
                labels=[
                    {"name": "positive", "hotkey": "1", "color": "#2e7d32"},
                    {"name": "negative", "hotkey": "2", "color": "#c62828"},
                    {"name": "neutral", "hotkey": "3", "color": "#607d8b"},
                    {"name": "mixed", "hotkey": "4", "color": "#ef6c00"},
                ],
                label_scale="nominal",
                overlap=3,
                guidelines=GUIDELINES,
            )
            for username, role in USERS[1:]:
                services.membership_set(project=project, username=username, role=role)

        suite_set(project=project, user=users["manager"], suite=DEMO_SUITE)
        first = demo_reviews(240, seed=7)
        self._import(project, users["manager"], "reviews-october.csv", _csv(first))
        second = demo_reviews(130, seed=11, start_id=241) + first[:12]  # a few repeats: skipped as duplicates
        lines = "\n".join(json.dumps(row) for row in second) + "\n"
        self._import(project, users["manager"], "reviews-november.jsonl", lines.encode())
        # Fails the suite: quarantined, waiting for the manager to accept or reject it.
        self._import(project, users["manager"], "reviews-december.csv", _csv(demo_bad_batch(13, start_id=400)))
        annotators = {name: users[name] for name, role in USERS if role == "annotator"}
        made = demo_label(project=project, annotators=annotators, manager=users["manager"])
        self.stdout.write(
            f"  labels: {made['annotations']} annotations by {len(annotators)} annotators, "
            f"{made['gold']} gold answers, two model versions' predictions for {made['predictions']} items"
        )
        # A team moving over: a Label Studio export of reviews nobody here labeled yet, labels and all.
        self._import(project, users["manager"], "reviews-labelstudio-export.json", demo_labelstudio_export(project))
        suggested = demo_suggest(project=project, annotators=annotators, manager=users["manager"])
        self.stdout.write(
            f"  model in the loop: suggestions on, {suggested['annotations']} annotations made with or without them"
        )
        self._augment_split_report(project, users["manager"])
        tickets = demo_tickets(
            manager=users["manager"], reviewer=users["reviewer"], annotators=annotators,
            upload=lambda target, name, rows: self._import(target, users["manager"], name, _csv(rows)),
        )  # fmt: skip
        self.stdout.write(f"  {TICKETS!r}: a multi-label project, {tickets.items.count()} tickets tagged by three "
                          f"annotators, the model {TICKET_MODEL!r} evaluated against them")  # fmt: skip
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo project {PROJECT_NAME!r} loaded: three versions (the third of augmented reviews), "
                "splits, a leakage check, each version's report, and a quarantined batch; and a multi-label project."
            )
        )

    def _augment_split_report(self, project: Project, manager) -> None:
        """Typo copies of the app reviews (v3), v3 split into train/dev/test and checked for leakage,
        and every version's report, all in-process, so the pages show them before the worker starts."""
        # The copies inherit their source's label; a fifth of them still go to people, to check that label.
        services.project_update(project=project, inherit_check_share=0.2)
        job = augment_services.augmentation_job_start(
            project=project, user=manager, version=2, method="keyboard_typos", params={"rate": 0.04},
            copies_per_item=1, seed=5, item_filter={"metadata": {"channel": "app"}}, label_policy="inherit",
        )  # fmt: skip
        job = augment_services.augmentation_job_run(job_id=str(job.pk))
        batch = quality_services.batch_import(batch_id=str(job.batch_id))
        self.stdout.write(f"  augmented: {batch.rows_added} typo copies of the app reviews ({job.method})")
        latest = DatasetVersion.objects.filter(project=project).order_by("-number").first()
        split = split_services.split_request(
            version=latest, user=manager, ratios={"train": 0.8, "dev": 0.1, "test": 0.1}, seed=1, enqueue=False
        )
        split_services.split_run(split_id=split.pk, enqueue_leakage=False)
        check = leakage_services.leakage_request(version=latest, enqueue=False)
        leakage_services.leakage_run(check_id=check.pk)
        for version in DatasetVersion.objects.filter(project=project).order_by("number"):
            report_services.report_compute(version=version)
        self.stdout.write(f"  v{latest.number} split 80/10/10 and checked for leakage; every version has its report")
        job = export_jobs.export_job_start(
            project=project, number=latest.number, user=manager, export_format="csv",
            query={"metadata": "channel=app", "layout": "flat"}, enqueue=False,
        )  # fmt: skip
        job = export_job_run(job_id=str(job.pk))
        self.stdout.write(f"  exported: the app reviews of v{latest.number} as a flat CSV ({job.items_written} items)")

    def _import(self, project: Project, user, name: str, content: bytes) -> None:
        batch = quality_services.batch_upload(
            project=project, user=user, uploaded=SimpleUploadedFile(name, content), enqueue=False
        )
        batch = quality_services.batch_import(batch_id=str(batch.pk))
        self.stdout.write(f"  {name}: {batch.status}, {batch.rows_added} added, {batch.rows_duplicate} duplicates")
        labels = next((r.get("labels") for r in batch.results if r.get("check") == "import"), None)
        if labels:
            self.stdout.write(
                f"    with {labels['annotations']} annotations, {labels['skips']} skips, {labels['gold']} gold answers "
                f"and {labels['predictions']} predictions"
            )
