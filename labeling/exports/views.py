"""The export page of a version: download now, or have a worker write the file and fetch it when done.

The page takes the items API's filters in its query string (the explorer links here with its
own), shows the selection they make, and passes them on to every download and job.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from rest_framework.exceptions import ValidationError

from config.errors import DomainError
from datasets.selectors import version_get
from labeling import exports
from labeling.exports import jobs
from labeling.exports.selection import FLAT, LAYOUTS, NESTED, export_options_parse
from projects.models import Project
from projects.selectors import REVIEWERS, project_for_page

FORMAT_TITLES = {
    "jsonl": "JSON Lines",
    "csv": "CSV",
    "parquet": "Parquet",
    "labelstudio": "Label Studio",
    "conll": "CoNLL",
}


def format_choices(project: Project) -> list[tuple[str, str]]:
    return [
        (name, FORMAT_TITLES.get(name, name))
        for name, spec in exports.FORMATS.items()
        if spec.task_types is None or project.task_type in spec.task_types
    ]


class ExportJobForm(forms.Form):
    format = forms.ChoiceField(label="Format")
    layout = forms.ChoiceField(
        label="Layout",
        choices=[(NESTED, "nested (JSON cells)"), (FLAT, "flat (CSV: a column per metadata key and annotator)")],
        initial=NESTED,
    )

    def __init__(self, data: QueryDict | None = None, *, project: Project) -> None:
        super().__init__(data)
        self.fields["format"].choices = format_choices(project)


@login_required
def export_page(request: HttpRequest, project_id: int, number: int) -> HttpResponse:
    project = project_for_page(request, project_id, roles=REVIEWERS)
    version = version_get(project=project, number=number)
    filters, error = {}, None
    try:
        selection = export_options_parse(request.GET, project=project).selection
        selection.items(project=project, number=number)  # a label outside the schema, an unknown annotator
        filters = selection.query
    except (DomainError, ValidationError) as exc:
        error = exc.message if isinstance(exc, DomainError) else _first_message(exc.detail)
    form = ExportJobForm(request.POST if request.method == "POST" else None, project=project)
    if request.method == "POST" and error is None and form.is_valid():
        query = {**filters, "layout": form.cleaned_data["layout"]}
        try:
            job = jobs.export_job_start(
                project=project,
                number=number,
                user=request.user,
                export_format=form.cleaned_data["format"],
                query=query,
            )
        except DomainError as exc:
            error = exc.message
        else:
            return redirect(f"{request.get_full_path()}#job-{job.pk}")
    query = QueryDict(mutable=True)
    query.update(filters)
    base = reverse("api-export", args=[project.pk, number])
    downloads = [(title, f"{base}?{_with(query, format=name)}", name) for name, title in format_choices(project)] + [
        ("CSV, flat", f"{base}?{_with(query, format='csv', layout=FLAT)}", "csv-flat")
    ]
    context = {
        "project": project,
        "version": version,
        "filters": filters,
        "error": error,
        "form": form,
        "downloads": downloads,
        "jobs": jobs.export_jobs_recent(project=project, number=number),
        "explorer_query": query.urlencode(),
        "layouts": LAYOUTS,
    }
    return render(request, "labeling/exports/export.html", context, status=400 if error else 200)


def _with(query: QueryDict, **values: str) -> str:
    extended = query.copy()
    for key, value in values.items():
        extended[key] = value
    return extended.urlencode()


def _first_message(detail: object) -> str:
    if isinstance(detail, dict):
        key, messages = next(iter(detail.items()))
        return f"{key}: {_first_message(messages)}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)
