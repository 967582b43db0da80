"""The leakage page of a version: duplicates across its splits, and a button to check again."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from datasets import selectors as data_selectors
from projects.selectors import MANAGERS, project_access, project_get_for_user
from quality.leakage import services
from quality.models import LeakageCheck


class RecheckForm(forms.Form):
    """No fields: the button's form, for its CSRF token."""


@login_required
@require_http_methods(["GET", "POST"])
def version_leakage(request: HttpRequest, project_id: int, number: int) -> HttpResponse:
    if request.method == "POST":
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGERS)
        version = data_selectors.version_get(project=project, number=number)
        if RecheckForm(request.POST).is_valid():
            services.leakage_request(version=version)
        return redirect("version-leakage", project_id=project.pk, number=version.number)
    access = project_access(user=request.user, project_id=project_id)
    project = access.project
    version = data_selectors.version_get(project=project, number=number)
    check = LeakageCheck.objects.filter(version=version).first()
    context = {
        "project": project,
        "version": version,
        "check": check,
        "result": check.result if check else {},
        "is_manager": access.is_manager,
        "form": RecheckForm(),
    }
    return render(request, "quality/leakage.html", context)
