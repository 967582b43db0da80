"""Pages of a project's data: a version's items, and the images image items show."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from datasets import selectors
from projects.selectors import project_get_for_user

EXPORT_FORMATS = [("jsonl", "JSON Lines"), ("csv", "CSV"), ("parquet", "Parquet"), ("labelstudio", "Label Studio")]


@login_required
def version_detail(request: HttpRequest, project_id: int, number: int) -> HttpResponse:
    project = project_get_for_user(user=request.user, project_id=project_id)
    version = selectors.version_get(project=project, number=number)
    items = selectors.items_with_splits(project=project, number=number)
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
        "augmentation_shares": selectors.augmentation_shares(version=version),
        "split": selectors.split_find(version=version),
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
    project = project_get_for_user(user=request.user, project_id=project_id)
    sha256, _, extension = name.partition(".")
    image = selectors.image_get(project=project, sha256=sha256, extension=extension)
    response = FileResponse(image.file.open("rb"), content_type=image.content_type)
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
