"""Pages of the batch pipeline: the project's home (versions, batches, upload), a batch's results, decisions."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config import charts
from config.errors import DomainError
from config.forms import first_error, sentence
from datasets import selectors as data_selectors
from datasets.models import Batch, BatchStatus
from datasets.services.uploads import is_image_name
from projects import selectors as project_selectors
from projects.markdown import render_markdown
from projects.models import Role, TaskType
from projects.selectors import MANAGERS, ProjectAccess, project_access_for_page
from quality.pipeline import decisions as decision_services
from quality.pipeline import services
from quality.pipeline.forms import BatchDecideForm, BatchUploadForm


@login_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    access = project_selectors.project_access(user=request.user, project_id=project_id)
    project = access.project
    versions = list(data_selectors.versions_list(project=project)[:50])
    context = {
        "project": project,
        "role": access.role,
        "is_manager": access.is_manager,
        "guidelines_html": render_markdown(project.guidelines),
        "members": project_selectors.members_list(project=project),
        "versions": versions,
        "chart": charts.version_bars([(v.number, v.item_count, v.added_count) for v in versions]),
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
            batch = services.batch_upload(
                project=project, user=request.user, uploaded=uploaded, label_mapping=form.mapping()
            )
        except DomainError as exc:
            messages.error(request, f"{uploaded.name} was not uploaded: {exc.message}.")
        else:
            messages.success(request, f"{batch.original_name} uploaded. It is queued for validation; follow it below.")
    return redirect(f"{reverse('project-detail', args=[project.pk])}#batches-card")


# -- a batch's results ---------------------------------------------------------------------------
def _batch_for_page(request: HttpRequest, project_id: int, batch_id: str, roles=None) -> tuple[ProjectAccess, Batch]:
    access = project_access_for_page(request, project_id, roles)
    batch = data_selectors.batch_get_for_user(user=request.user, batch_id=str(batch_id))
    if batch.project_id != access.project.pk:
        raise Http404
    return access, batch


def _shown(value: Any) -> Any:
    """An observed value as a person reads it: 3.2847 for 3.284660747016627, a list as its items."""
    if isinstance(value, float):
        return f"{value:.5g}"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(_shown(v) if isinstance(v, float) else str(v) for v in value) or "none"
    return value


def _drift_figures(details: dict[str, Any], histogram: charts.Histogram | None) -> str:
    """What a drift check measured, the same words whether it passed or failed.

    A category the current version never had makes chi-square's statistic infinite (stored as
    none, with p = 0): it is named instead of a statistic that is not there.
    """
    figures = [str(details.get("method") or "drift")]
    new = histogram.new_categories if histogram else []
    if details.get("statistic") is not None:
        figures[0] += f" {details['statistic']:.4f}"
    elif new:
        figures[0] += f" \u221e: new categor{'y' if len(new) == 1 else 'ies'} {', '.join(new)}"
    if details.get("p_value") is not None:
        figures.append(f"p = {details['p_value']:.4f}")
    if details.get("psi") is not None:
        figures.append(f"PSI {details['psi']:.3f}")
    return ", ".join(figures)


def _result_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for result in results:
        if result.get("check") == "import":
            continue
        details = result.get("details") or {}
        histogram = charts.histogram_geometry(details.get("histogram"))
        figures = _drift_figures(details, histogram) if details.get("method") else None
        rows.append(
            {
                **result,
                "observed_value": figures or _shown(result.get("observed_value")),
                "figures": figures,
                "chart": histogram
                and charts.histogram(histogram, title=f"Histogram of {result.get('column')}: reference vs batch"),
                "details": details,
            }
        )
    return rows


@login_required
def batch_results(request: HttpRequest, project_id: int, batch_id: str) -> HttpResponse:
    access, batch = _batch_for_page(request, project_id, batch_id)
    project = access.project
    results = _result_rows(data_selectors.batch_results_for(results=batch.results or [], role=access.role))
    imported = next((r for r in batch.results or [] if r.get("check") == "import"), None)
    context = {
        "project": project,
        "batch": batch,
        "is_manager": access.is_manager,
        "rows_visible": data_selectors.batch_rows_visible(role=access.role),
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
    access, batch = _batch_for_page(request, project_id, batch_id, roles=MANAGERS)
    project = access.project
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
