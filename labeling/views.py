"""The labeling pages: the keyboard-first labeling widget and the annotator's own history.

The widget itself talks to the REST API (next item, submit, skip, revise, progress) with
the session; these views render the page around it and feed it the annotator's history.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from labeling import selectors
from labeling.models import Annotation
from labeling.serializers import QueueItemSerializer
from projects.markdown import render_markdown
from projects.models import Project
from projects.selectors import project_get_for_user

HISTORY_PAGE_SIZE = 50
PREVIEW_CHARS = 140
GREY = "#7f7f7f"


def _entry(annotation: Annotation) -> dict[str, Any]:
    """One history entry as the widget needs it: the annotation and the item it labels."""
    return {
        "uuid": str(annotation.uuid),
        "revision": annotation.revision,
        "value": annotation.value,
        "updated_at": annotation.updated_at.isoformat(),
        "item": QueueItemSerializer(annotation.item).data,
    }


def _own_annotation(*, request: HttpRequest, project: Project, annotation_uuid: str) -> Annotation:
    annotation = selectors.annotation_get_for_user(user=request.user, annotation_uuid=annotation_uuid)
    if annotation.annotator_id != request.user.pk or annotation.project_id != project.pk:
        raise Http404
    return annotation


@login_required
@require_GET
def label_page(request: HttpRequest, project_id: int) -> HttpResponse:
    """The labeling page; ``?edit=<annotation uuid>`` opens one of the caller's annotations to change it."""
    project = project_get_for_user(user=request.user, project_id=project_id)
    config: dict[str, Any] = {
        "project": project.pk,
        "user": request.user.pk,
        "task": project.task_type,
        "labels": project.labels,
        "urls": {
            "next": reverse("api-next", args=[project.pk]),
            "progress": reverse("api-progress", args=[project.pk]),
            "history": reverse("label-history-entries", args=[project.pk]),
            "annotate": reverse("api-item-annotations", args=[0]),
            "skip": reverse("api-item-skip", args=[0]),
            "annotation": reverse("api-annotation", args=["00000000-0000-0000-0000-000000000000"]),
        },
        "page_size": HISTORY_PAGE_SIZE,
        "edit": None,
    }
    edit_uuid = request.GET.get("edit")
    if edit_uuid:
        annotation = _own_annotation(request=request, project=project, annotation_uuid=edit_uuid)
        config["edit"] = {
            "entry": _entry(annotation),
            "position": selectors.annotation_history_position(annotation=annotation),
        }
    context = {
        "project": project,
        "config": config,
        "guidelines_html": render_markdown(project.guidelines),
        "is_spans": project.task_type == "spans",
    }
    return render(request, "labeling/label.html", context)


@login_required
@require_GET
def history_entries(request: HttpRequest, project_id: int) -> JsonResponse:
    """A page of the caller's history with each item's content, newest change first.

    The widget steps through it with the arrow keys; ``offset`` counts from the newest.
    """
    project = project_get_for_user(user=request.user, project_id=project_id)
    try:
        offset = max(0, int(request.GET.get("offset", 0)))
    except ValueError:
        return JsonResponse({"detail": "offset must be a whole number"}, status=400)
    window = list(
        selectors.annotation_history(project=project, user=request.user)[offset : offset + HISTORY_PAGE_SIZE + 1]
    )
    return JsonResponse(
        {
            "offset": offset,
            "entries": [_entry(annotation) for annotation in window[:HISTORY_PAGE_SIZE]],
            "has_more": len(window) > HISTORY_PAGE_SIZE,
        }
    )


def _value_chips(value: Any, *, text: str, colors: dict[str, str]) -> list[dict[str, str]]:
    """The stored value as labelled chips: one per label, with the covered text for spans."""
    if isinstance(value, str):
        return [{"name": value, "color": colors.get(value, GREY), "detail": ""}]
    chips = []
    for part in value if isinstance(value, list) else []:
        if isinstance(part, dict):
            covered = text[part.get("start", 0) : part.get("end", 0)]
            if len(covered) > 40:
                covered = covered[:39] + "…"
            name = str(part.get("label", ""))
            chips.append({"name": name, "color": colors.get(name, GREY), "detail": covered})
        else:
            chips.append({"name": str(part), "color": colors.get(str(part), GREY), "detail": ""})
    return chips


@login_required
@require_GET
def history_page(request: HttpRequest, project_id: int) -> HttpResponse:
    """What the caller labeled in this project, newest change first, each with an edit link."""
    project = project_get_for_user(user=request.user, project_id=project_id)
    annotations = selectors.annotation_history(project=project, user=request.user)
    page = Paginator(annotations, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    colors = {label["name"]: label.get("color") or GREY for label in project.labels}
    rows = []
    for annotation in page.object_list:
        data = annotation.item.data or {}
        text = data.get("text") if isinstance(data.get("text"), str) else ""
        content = text or str(data.get("image", ""))
        rows.append(
            {
                "annotation": annotation,
                "name": annotation.item.external_id or f"item {annotation.item_id}",
                "preview": content if len(content) <= PREVIEW_CHARS else content[: PREVIEW_CHARS - 1] + "…",
                "chips": _value_chips(annotation.value, text=text, colors=colors),
            }
        )
    context = {"project": project, "page": page, "rows": rows}
    return render(request, "labeling/history.html", context)
