"""Pages of a project's data: what a version page shows of its items, and the images image items show.

The version page itself is served from the top floor, which adds its own sections to ``version_context``.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest

from datasets import selectors
from datasets.forms import VersionItemsForm
from datasets.keyset import LAST, keyset_page
from projects.selectors import ProjectAccess, project_get_for_user

PAGE_SIZE = 50
EXPORT_FORMATS = [("jsonl", "JSON Lines"), ("csv", "CSV"), ("parquet", "Parquet"), ("labelstudio", "Label Studio")]
VERSION_TEMPLATE = "projects/version.html"


def version_context(request: HttpRequest, *, access: ProjectAccess, number: int) -> dict[str, Any]:
    """What the version page shows of the data; the floors above add their sections to it."""
    project = access.project
    version = selectors.version_get(project=project, number=number)
    form = VersionItemsForm(request.GET)
    valid = form.is_valid()
    only_added = valid and form.cleaned_data["show"] == "added"
    batch = getattr(version, "batch", None)
    filters = selectors.ItemFilters(batch=batch.pk if only_added and batch else None)
    items = selectors.items_filtered(project=project, number=number, filters=filters)
    if only_added and batch is None:
        items = items.none()
    page = keyset_page(
        items, cursor=form.cleaned_data["cursor"] if valid else None, size=PAGE_SIZE, key=lambda item: item.pk
    )
    base = "?show=added&" if only_added else "?"
    context = {
        "project": project,
        "role": access.role,
        "version": version,
        "page": page,
        "links": {
            "first": base.rstrip("&?") or "?",
            "previous": f"{base}cursor={page.previous_cursor}" if page.previous_cursor else None,
            "next": f"{base}cursor={page.next_cursor}" if page.next_cursor else None,
            "last": f"{base}cursor={LAST}",
        },
        "only_added": only_added,
        # Known already; spares a COUNT over the whole version.
        "shown_count": version.added_count if only_added else version.item_count,
        "augmentation_shares": selectors.augmentation_shares(version=version),
        "split": selectors.split_find(version=version),
        "export_formats": EXPORT_FORMATS + ([("conll", "CoNLL")] if project.task_type == "spans" else []),
    }
    return context


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
