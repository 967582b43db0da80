"""Pages of version reports: the report, two versions compared, and the manager's freeze and note forms."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.errors import DomainError
from datasets.selectors import version_get, versions_list
from projects.selectors import MANAGERS, REVIEWERS, project_access_for_page, project_for_page
from quality.reports import services
from quality.reports.build import versions_compared
from quality.reports.presentation import compare_rows, page_context
from quality.reports.selectors import report_state

FIGURES = {
    "items": "Items",
    "augmented_items": "Augmented items",
    "with_final_label": "Items with a final label",
    "at_full_overlap": "Items at full overlap",
    "failed_checks": "Failed validation checks",
    "drifted_columns": "Drifted columns",
    "krippendorff_alpha": "Krippendorff's alpha",
}


class NoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=services.MAX_NOTE, widget=forms.Textarea(attrs={"rows": 3}))


class CompareForm(forms.Form):
    a = forms.IntegerField(min_value=1)
    b = forms.IntegerField(min_value=1)


@login_required
def report_page(request: HttpRequest, project_id: int, number: int) -> HttpResponse:
    access = project_access_for_page(request, project_id, roles=REVIEWERS)
    project = access.project
    version = version_get(project=project, number=number)
    report = services.report_request(version=version)  # a missing or stale report is queued for a worker
    state = report_state(version=version)
    context = {
        **page_context(state.data or {}),
        "project": project,
        "version": version,
        "state": state,
        "is_manager": access.is_manager,
        "note_form": NoteForm(initial={"note": report.note}),
        "versions": versions_list(project=project),
    }
    return render(request, "quality/reports/page.html", context)


@login_required
@require_POST
def report_freeze(request: HttpRequest, project_id: int, number: int) -> HttpResponse:
    project = project_for_page(request, project_id, roles=MANAGERS)
    version = version_get(project=project, number=number)
    try:
        services.report_freeze(version=version, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"The report of v{number} is frozen: it will not change, and later versions diff against it."
        )
    return redirect("version-report", project_id=project.pk, number=number)


@login_required
@require_POST
def report_note(request: HttpRequest, project_id: int, number: int) -> HttpResponse:
    project = project_for_page(request, project_id, roles=MANAGERS)
    version = version_get(project=project, number=number)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
    else:
        try:
            services.report_note_set(version=version, note=form.cleaned_data["note"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Note saved; it shows in the datasheet.")
    return redirect("version-report", project_id=project.pk, number=number)


@login_required
def compare_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_for_page(request, project_id, roles=REVIEWERS)
    form = CompareForm(request.GET)
    versions = list(versions_list(project=project))
    context = {"project": project, "form": form, "versions": versions, "comparison": None, "pending": []}
    if form.is_valid():
        states = []
        for name in ("a", "b"):
            version = version_get(project=project, number=form.cleaned_data[name])
            services.report_request(version=version)
            states.append((version, report_state(version=version)))
        context["pending"] = [v.number for v, s in states if s.data is None]
        if not context["pending"]:
            comparison = versions_compared(states[0][1].data, states[1][1].data)
            context["comparison"] = comparison
            context.update(compare_rows(comparison, FIGURES))
        context["a"], context["b"] = states[0][0], states[1][0]
    return render(request, "quality/reports/compare.html", context)
