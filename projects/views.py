"""Server-rendered pages for managers: projects and members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import DomainError
from config.forms import first_error, sentence
from projects import selectors, services
from projects.forms import MemberAddForm, ProjectCreateForm
from projects.label_schema import PALETTE
from projects.models import LabelScale, TaskType


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.with_latest_version(selectors.projects_for_user(request.user)).order_by("name")
    return render(request, "projects/list.html", {"projects": projects})


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    form = ProjectCreateForm(request.POST if request.method == "POST" else None)
    if form.is_bound and not form.adds_a_row():
        if not form.is_valid():
            messages.error(request, first_error(form))
        else:
            try:
                project = services.project_create(user=request.user, **form.service_arguments())
            except DomainError as exc:
                messages.error(request, sentence(exc.message))
            else:
                messages.success(request, f"Project “{project.name}” created. Next: add members and upload a batch.")
                return redirect("project-detail", project_id=project.pk)
    context = {
        "form": form,
        "labels": form.label_rows(),
        "palette": PALETTE,
        "task_types": TaskType.choices,
        "label_scales": LabelScale.choices,
    }
    return render(request, "projects/create.html", context)


@login_required
@require_POST
def member_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=selectors.MANAGERS)
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("project-detail", project_id=project.pk)
    try:
        membership = services.membership_set(project=project, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{membership.user.username} is now {membership.role}.")
    return redirect("project-detail", project_id=project.pk)
