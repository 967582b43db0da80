"""Pages of the batch pipeline: the project's home (versions, batches, upload), a batch's results, decisions."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import DomainError
from config.forms import first_error, sentence
from datasets import selectors as data_selectors
from datasets.models import Batch, BatchStatus, DatasetVersion
from datasets.services.uploads import is_image_name
from projects import selectors as project_selectors
from projects.markdown import render_markdown
from projects.models import Project, Role, TaskType
from projects.selectors import MANAGERS, project_for_page
from quality.charts import histogram_chart
from quality.pipeline import decisions as decision_services
from quality.pipeline import services
from quality.pipeline.forms import BatchDecideForm, BatchUploadForm


@dataclass(frozen=True)
class ChartBar:
    """One version's bar: the items it inherited from its parent, then the ones it added."""

    number: int
    item_count: int
    added: int
    y: int
    inherited_pct: float
    added_pct: float

    @property
    def label_x_pct(self) -> float:
        return round(BAR_START_PCT + self.inherited_pct + self.added_pct + 1, 2)

    @property
    def added_x_pct(self) -> float:
        return round(BAR_START_PCT + self.inherited_pct, 2)


BAR_START_PCT = 9
BAR_SPAN_PCT = 58  # leaves room on the right for the count
BAR_ROW_PX = 28


def version_chart(versions: list[DatasetVersion]) -> dict | None:
    """Geometry of a server-rendered SVG bar chart of items per version, oldest first."""
    if not versions:
        return None
    ordered = sorted(versions, key=lambda version: version.number)
    peak = max(version.item_count for version in ordered) or 1
    bars = []
    for row, version in enumerate(ordered):
        added = min(version.added_count, version.item_count)
        bars.append(
            ChartBar(
                number=version.number,
                item_count=version.item_count,
                added=added,
                y=row * BAR_ROW_PX,
                inherited_pct=round(BAR_SPAN_PCT * (version.item_count - added) / peak, 2),
                # A handful of new items on a big version still shows as a sliver.
                added_pct=round(max(BAR_SPAN_PCT * added / peak, 0.6 if added else 0), 2),
            )
        )
    return {"bars": bars, "height": len(bars) * BAR_ROW_PX, "bar_start": BAR_START_PCT}


@login_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_selectors.project_get_for_user(user=request.user, project_id=project_id)
    versions = list(data_selectors.versions_list(project=project)[:50])
    context = {
        "project": project,
        "is_manager": project.caller_role == Role.MANAGER,
        "guidelines_html": render_markdown(project.guidelines),
        "members": project_selectors.members_list(project=project),
        "versions": versions,
        "chart": version_chart(versions),
        "batches": data_selectors.batches_for_project(project=project)[:50],
        "roles": Role.choices,
        "max_upload_mb": settings.GROUNDWORK_MAX_UPLOAD_BYTES // (1024 * 1024),
        "max_images": settings.GROUNDWORK_MAX_IMAGES_PER_REQUEST,
    }
    return render(request, "projects/detail.html", context)


@login_required
@require_POST
def batch_upload(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_selectors.project_get_for_user(user=request.user, project_id=project_id, roles=MANAGERS)
    form = BatchUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(f"{reverse('project-detail', args=[project.pk])}#batches-card")
    files = form.cleaned_data["file"]
    uploaded = files[0]
    if project.task_type == TaskType.IMAGE and all(is_image_name(f.name or "") for f in files):
        try:
            batch = services.images_batch_upload(project=project, user=request.user, files=files)
        except DomainError as exc:
            messages.error(request, f"The images were not uploaded: {exc.message}.")
        else:
            messages.success(request, f"{len(files)} image(s) uploaded as {batch.original_name}; follow it below.")
    elif len(files) > 1:
        messages.error(request, "Upload one batch file at a time (several files at once are for images).")
    else:
        try:
            batch = services.batch_upload(project=project, user=request.user, uploaded=uploaded)
        except DomainError as exc:
            messages.error(request, f"{uploaded.name} was not uploaded: {exc.message}.")
        else:
            messages.success(request, f"{batch.original_name} uploaded. It is queued for validation; follow it below.")
    return redirect(f"{reverse('project-detail', args=[project.pk])}#batches-card")


# -- a batch's results ---------------------------------------------------------------------------
def _batch_for_page(request: HttpRequest, project_id: int, batch_id: str, roles=None) -> tuple[Project, Batch]:
    project = project_for_page(request, project_id, roles)
    batch = data_selectors.batch_get_for_user(user=request.user, batch_id=str(batch_id))
    if batch.project_id != project.pk:
        raise Http404
    return project, batch


def _shown(value: Any) -> Any:
    """An observed value as a person reads it: 3.2847 for 3.284660747016627, a list as its items."""
    if isinstance(value, float):
        return f"{value:.5g}"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(_shown(v) if isinstance(v, float) else str(v) for v in value) or "none"
    return value


def _result_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for result in results:
        if result.get("check") == "import":
            continue
        details = result.get("details") or {}
        rows.append(
            {
                **result,
                "observed_value": _shown(result.get("observed_value")),
                "chart": histogram_chart(details.get("histogram")),
                "details": details,
            }
        )
    return rows


@login_required
def batch_results(request: HttpRequest, project_id: int, batch_id: str) -> HttpResponse:
    project, batch = _batch_for_page(request, project_id, batch_id)
    results = _result_rows(batch.results or [])
    imported = next((r for r in batch.results or [] if r.get("check") == "import"), None)
    context = {
        "project": project,
        "batch": batch,
        "is_manager": project.caller_role == Role.MANAGER,
        "failed": [r for r in results if not r.get("success")],
        "passed": [r for r in results if r.get("success")],
        "drift": [r for r in results if r["chart"] is not None],
        "imported": imported,
        "can_decide": batch.status == BatchStatus.QUARANTINED,
        "can_revalidate": batch.status in (BatchStatus.QUARANTINED, BatchStatus.REJECTED),
    }
    return render(request, "quality/batch.html", context)


@login_required
@require_POST
def batch_decide(request: HttpRequest, project_id: int, batch_id: str) -> HttpResponse:
    project, batch = _batch_for_page(request, project_id, batch_id, roles=MANAGERS)
    form = BatchDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("batch-results", project_id=project.pk, batch_id=batch.pk)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    try:
        if action == "accept":
            decision_services.batch_accept_anyway(batch=batch, user=request.user, reason=reason)
            messages.success(request, "Accepted anyway: the batch is being imported without validating it again.")
        elif action == "reject":
            decision_services.batch_reject(batch=batch, user=request.user, reason=reason)
            messages.success(request, "Rejected: nothing of this batch joins the dataset.")
        else:
            decision_services.batch_revalidate(batch=batch)
            messages.success(request, "Queued to be validated again with the current suite.")
    except DomainError as exc:
        messages.error(request, sentence(exc.message))
    return redirect("batch-results", project_id=project.pk, batch_id=batch.pk)
