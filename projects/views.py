"""Server-rendered pages for managers: projects, members, uploads, versions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import DomainError
from projects import selectors, services
from projects.markdown import render_markdown
from projects.models import LabelScale, Role, TaskType
from quality import selectors as quality_selectors
from quality import services as quality_services


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.with_latest_version(selectors.projects_for_user(request.user)).order_by("name")
    return render(request, "projects/list.html", {"projects": projects})


def _labels_from_form(request: HttpRequest) -> list[dict[str, str]]:
    names = request.POST.getlist("label_name")
    hotkeys = request.POST.getlist("label_hotkey")
    colors = request.POST.getlist("label_color")
    labels = []
    for index, name in enumerate(names):
        if name.strip():
            labels.append(
                {
                    "name": name,
                    "hotkey": hotkeys[index] if index < len(hotkeys) else "",
                    "color": colors[index] if index < len(colors) else "",
                }
            )
    return labels


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    form = {"name": "", "task_type": "classification", "label_scale": "nominal", "overlap": 3, "guidelines": ""}
    labels: list[dict[str, str]] = [{"name": "", "hotkey": "", "color": ""}] * 2
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in form}
        labels = _labels_from_form(request) or labels
        try:
            overlap = int(form["overlap"] or 1)
        except ValueError:
            messages.error(request, "overlap must be a whole number")
        else:
            try:
                project = services.project_create(
                    user=request.user,
                    name=form["name"],
                    task_type=form["task_type"],
                    labels=_labels_from_form(request),
                    label_scale=form["label_scale"],
                    overlap=overlap,
                    guidelines=form["guidelines"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Project “{project.name}” created.")
                return redirect("project-detail", project_id=project.pk)
    context = {
        "form": form,
        "labels": labels,
        "task_types": TaskType.choices,
        "label_scales": LabelScale.choices,
    }
    return render(request, "projects/create.html", context)


@login_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    context = {
        "project": project,
        "is_manager": project.caller_role == Role.MANAGER,
        "guidelines_html": render_markdown(project.guidelines),
        "members": selectors.members_list(project=project),
        "versions": selectors.versions_list(project=project)[:50],
        "batches": quality_selectors.batches_for_project(project=project)[:50],
        "roles": Role.choices,
    }
    return render(request, "projects/detail.html", context)


@login_required
@require_POST
def member_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=selectors.MANAGERS)
    try:
        membership = services.membership_set(
            project=project, username=request.POST.get("username", "").strip(), role=request.POST.get("role", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{membership.user.username} is now {membership.role}.")
    return redirect("project-detail", project_id=project.pk)


@login_required
@require_POST
def batch_upload(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=selectors.MANAGERS)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        messages.error(request, "choose a file to upload")
    else:
        try:
            batch = quality_services.batch_upload(project=project, user=request.user, uploaded=uploaded)
        except DomainError as exc:
            messages.error(request, f"{uploaded.name}: {exc.message}")
        else:
            messages.success(request, f"{batch.original_name} uploaded; it is queued for validation.")
    return redirect("project-detail", project_id=project.pk)


@login_required
def version_detail(request: HttpRequest, project_id: int, number: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    version = selectors.version_get(project=project, number=number)
    items = selectors.items_in_version(project=project, number=number)
    paginator = Paginator(items, 50)
    paginator.count = version.item_count  # known already; spares a COUNT over the whole version
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "projects/version.html", {"project": project, "version": version, "page": page})
