"""A manager acts on the items the explorer's filters select: a page that says how many items
the action touches, then sends them back, raises their priority, or links to their export. A
selection too large for a request becomes a job, followed on its own page."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from config.errors import DomainError
from config.forms import first_error
from datasets.models import Batch
from datasets.selectors import version_get
from labeling.explorer import selection_jobs, selections, selectors
from labeling.explorer.forms import ExplorerFilterForm, SelectionPriorityForm, SelectionSendBackForm
from labeling.models import SelectionAction
from projects.models import Project
from projects.selectors import MANAGERS, project_for_page

EXPORT_FORMATS = ("jsonl", "csv", "parquet")
# The explorer's own parameters that are not filters: a page of the list, its order.
NOT_FILTERS = ("cursor", "sort")


def filter_query(params: QueryDict) -> str:
    """The filters of an explorer query string, empty ones left out: the items API's syntax."""
    kept = [(key, value) for key, values in params.lists() if key not in NOT_FILTERS for value in values if value]
    return urlencode(kept)


def export_links(*, project: Project, number: int, query: str) -> list[tuple[str, str]]:
    base = reverse("api-export", args=[project.pk, number])
    return [(fmt, f"{base}?{urlencode({'format': fmt})}{'&' + query if query else ''}") for fmt in EXPORT_FORMATS]


def _batches(project: Project, number: int) -> list[Batch]:
    return list(
        Batch.objects.filter(project=project, version__number__lte=number)
        .select_related("version")
        .order_by("version__number")
    )


@login_required
@require_http_methods(["GET", "POST"])
def selection_page(request: HttpRequest, project_id: int, number: int) -> HttpResponse:
    project = project_for_page(request, project_id, roles=MANAGERS)
    version = version_get(project=project, number=number)
    filters = ExplorerFilterForm(request.GET, project=project, batches=_batches(project, number))
    query = filter_query(request.GET)
    explorer_url = reverse("explorer", args=[project.pk, number]) + (f"?{query}" if query else "")
    context = {
        "project": project,
        "version": version,
        "filters": filters,
        "query": query,
        "explorer_url": explorer_url,
        "send_back_form": SelectionSendBackForm(),
        "priority_form": SelectionPriorityForm(),
        "exports": export_links(project=project, number=number, query=query),
        "jobs": selection_jobs.selection_jobs_recent(project=project, number=number),
        "inline_max": settings.GROUNDWORK_SELECTION_INLINE_MAX,
    }
    if not filters.is_valid():
        context["error"] = first_error(filters)
        return render(request, "labeling/explorer/selection.html", context, status=400)
    try:
        items = selectors.explorer_items(
            project=project, number=number, data=filters.data_filters(), labels=filters.label_filters()
        )
        if request.method == "POST":
            job_url = _act(request, project=project, number=version.number, filters=QueryDict(query))
            return redirect(job_url or explorer_url)
        context["size"] = selections.selection_size(items)
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "labeling/explorer/selection.html", context, status=400)
    # The filters as typed (a checkbox as itself), to say in words what the action touches.
    context["filter_names"] = [
        (filters[name].label, True if isinstance(value, bool) else filters.data.get(name))
        for name, value in filters.cleaned_data.items()
        if name not in NOT_FILTERS and value
    ]
    return render(request, "labeling/explorer/selection.html", context)


def _act(request: HttpRequest, *, project: Project, number: int, filters: QueryDict) -> str | None:
    """Run the posted action on the selection and say what it did (on the explorer it returns to);
    a selection too large for the request becomes a job: its page's URL."""
    if "priority" in request.POST:
        form = SelectionPriorityForm(request.POST)
        action, field = SelectionAction.PRIORITY, "priority"
    else:
        form = SelectionSendBackForm(request.POST)
        action, field = SelectionAction.SEND_BACK, "count"
    if not form.is_valid():
        raise DomainError(first_error(form))
    amount = form.cleaned_data[field]
    result = selection_jobs.selection_act(
        project=project, number=number, user=request.user, action=action, amount=amount,
        note=form.cleaned_data.get("note", ""), filters=filters,
    )  # fmt: skip
    if result.job is not None:
        return reverse("explorer-selection-job", args=[project.pk, number, result.job.pk])
    messages.success(request, selection_jobs.outcome_text(action=action, amount=amount, touched=result.touched,
                                           refused=result.refused))  # fmt: skip
    return None


@login_required
def selection_job_page(request: HttpRequest, project_id: int, number: int, job_id: str) -> HttpResponse:
    """A selection job's status, progress and outcome; the page follows it while it runs."""
    project = project_for_page(request, project_id, roles=MANAGERS)
    job = selection_jobs.selection_job_get_for_user(user=request.user, job_id=job_id)
    if job.project_id != project.pk or job.version != number:
        raise Http404
    query = urlencode(job.filters)
    context = {
        "project": project,
        "job": job,
        "number": number,
        "explorer_url": reverse("explorer", args=[project.pk, number]) + (f"?{query}" if query else ""),
        "outcome": selection_jobs.job_outcome_text(job),
    }
    return render(request, "labeling/explorer/selection_job.html", context)
