"""Server-rendered pages for managers: projects, members, uploads, versions."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import DomainError
from projects import selectors, services
from projects.label_schema import PALETTE
from projects.markdown import render_markdown
from projects.models import DatasetVersion, LabelScale, Role, TaskType
from quality import selectors as quality_selectors
from quality import services as quality_services


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
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    versions = list(selectors.versions_list(project=project)[:50])
    context = {
        "project": project,
        "is_manager": project.caller_role == Role.MANAGER,
        "guidelines_html": render_markdown(project.guidelines),
        "members": selectors.members_list(project=project),
        "versions": versions,
        "chart": version_chart(versions),
        "batches": quality_selectors.batches_for_project(project=project)[:50],
        "roles": Role.choices,
        "max_upload_mb": settings.GROUNDWORK_MAX_UPLOAD_BYTES // (1024 * 1024),
        "max_images": settings.GROUNDWORK_MAX_IMAGES_PER_REQUEST,
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
    files = request.FILES.getlist("file")
    uploaded = files[0] if files else None
    if uploaded is None:
        messages.error(request, "Choose a file to upload.")
    elif project.task_type == TaskType.IMAGE and all(services.is_image_name(f.name or "") for f in files):
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
            batch = quality_services.batch_upload(project=project, user=request.user, uploaded=uploaded)
        except DomainError as exc:
            messages.error(request, f"{uploaded.name} was not uploaded: {exc.message}.")
        else:
            messages.success(request, f"{batch.original_name} uploaded. It is queued for validation; follow it below.")
    return redirect(f"{reverse('project-detail', args=[project.pk])}#batches-card")


EXPORT_FORMATS = [("jsonl", "JSON Lines"), ("csv", "CSV"), ("parquet", "Parquet"), ("labelstudio", "Label Studio")]


@login_required
def version_detail(request: HttpRequest, project_id: int, number: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    version = selectors.version_get(project=project, number=number)
    items = selectors.items_in_version(project=project, number=number)
    only_added = request.GET.get("show") == "added"
    if only_added:
        items = items.filter(batch__version=version)
    paginator = Paginator(items, 50)
    # Known already; spares a COUNT over the whole version.
    paginator.count = version.added_count if only_added else version.item_count
    page_number = request.GET.get("page")
    page = paginator.get_page(paginator.num_pages if page_number == "last" else page_number)
    context = {
        "project": project,
        "version": version,
        "page": page,
        "only_added": only_added,
        "export_formats": [
            ("jsonl", "JSON Lines"),
            ("csv", "CSV"),
            ("parquet", "Parquet"),
            ("labelstudio", "Label Studio"),
        ]
        + ([("conll", "CoNLL")] if project.task_type == "spans" else []),
    }
    return render(request, "projects/version.html", context)


@login_required
def item_image(request: HttpRequest, project_id: int, name: str) -> FileResponse:
    """An uploaded image, to the project's members only; content-addressed, so cached for good."""
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    sha256, _, extension = name.partition(".")
    image = selectors.image_get(project=project, sha256=sha256, extension=extension)
    response = FileResponse(image.file.open("rb"), content_type=image.content_type)
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
