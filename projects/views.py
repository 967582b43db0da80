"""Server-rendered pages for managers: projects, members, uploads, versions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import DomainError
from projects import selectors, services
from projects.label_schema import PALETTE
from projects.models import LabelScale, TaskType


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.with_latest_version(selectors.projects_for_user(request.user)).order_by("name")
    return render(request, "projects/list.html", {"projects": projects})


def _label_rows_from_form(request: HttpRequest) -> list[dict[str, str]]:
    """Every label row of the submitted form, empty ones included, to show the form again as typed."""
    names = request.POST.getlist("label_name")
    hotkeys = request.POST.getlist("label_hotkey")
    colors = request.POST.getlist("label_color")
    return [
        {
            "name": name,
            "hotkey": hotkeys[index] if index < len(hotkeys) else "",
            "color": colors[index] if index < len(colors) else "",
        }
        for index, name in enumerate(names)
    ]


def _empty_label_row(index: int) -> dict[str, str]:
    return {"name": "", "hotkey": "", "color": PALETTE[index % len(PALETTE)]}


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    form = {"name": "", "task_type": "classification", "label_scale": "nominal", "overlap": 1, "guidelines": ""}
    labels = [_empty_label_row(0)]
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in form}
        labels = _label_rows_from_form(request) or labels
        if "add_label" in request.POST:
            # The "Add label" button works without JavaScript too: the form comes back with one more row.
            labels.append(_empty_label_row(len(labels)))
        else:
            project = _project_create_from_form(request, form, labels)
            if project is not None:
                messages.success(request, f"Project “{project.name}” created. Next: add members and upload a batch.")
                return redirect("project-detail", project_id=project.pk)
    context = {
        "form": form,
        "labels": labels,
        "palette": PALETTE,
        "task_types": TaskType.choices,
        "label_scales": LabelScale.choices,
    }
    return render(request, "projects/create.html", context)


def _project_create_from_form(request: HttpRequest, form: dict, labels: list[dict[str, str]]):
    """Create the project, or put the reason on the page and return None."""
    try:
        overlap = int(form["overlap"] or 1)
    except ValueError:
        messages.error(request, "Overlap must be a whole number.")
        return None
    named = [label for label in labels if label["name"].strip()]
    if not named:
        messages.error(request, "Give the project at least one label.")
        return None
    try:
        return services.project_create(
            user=request.user,
            name=form["name"],
            task_type=form["task_type"],
            labels=named,
            label_scale=form["label_scale"],
            overlap=overlap,
            guidelines=form["guidelines"],
        )
    except DomainError as exc:
        messages.error(request, exc.message[:1].upper() + exc.message[1:])
        return None


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
