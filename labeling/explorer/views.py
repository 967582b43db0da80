"""The explorer pages: a version's items with their labels, and one item's whole story, from
which reviewers and managers settle its label or send it back."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import DomainError
from datasets.models import Batch, Item
from datasets.selectors import version_get
from labeling.explorer import selectors
from labeling.explorer.forms import AdjudicateForm, ExplorerFilterForm, SendBackForm
from labeling.explorer.selection_views import filter_query
from labeling.explorer.sorting import SORTS, sorted_items, sorted_page
from labeling.review import services as review_services
from labeling.selectors import item_get_for_user
from projects.models import Project
from projects.selectors import REVIEWERS, project_access_for_page, project_for_page

PAGE_SIZE = 50


@login_required
def explorer_page(request: HttpRequest, project_id: int, number: int) -> HttpResponse:
    """The items of a version with their labels, filtered by the form, a keyset page at a time."""
    access = project_access_for_page(request, project_id, roles=REVIEWERS)
    project = access.project
    version = version_get(project=project, number=number)
    batches = list(
        Batch.objects.filter(project=project, version__number__lte=number)
        .select_related("version")
        .order_by("version__number")
    )
    form = ExplorerFilterForm(request.GET, project=project, batches=batches)
    rows, page, error = [], None, None
    if form.is_valid():
        try:
            items = selectors.explorer_items(
                project=project, number=number, data=form.data_filters(), labels=form.label_filters()
            )
            sort = form.cleaned_data["sort"]
            items = sorted_items(items, project_id=project.pk, sort=sort)
            page = sorted_page(items, sort=sort, cursor=form.cleaned_data["cursor"], size=PAGE_SIZE)
            rows = selectors.explorer_rows(items=page.rows)
        except DomainError as exc:
            error = exc.message
    # Sorting by the external id lists only the items that have one: not the version's count either.
    filtered = form.is_valid() and (
        form.data_filters().any or form.label_filters().any or SORTS[form.cleaned_data["sort"]][0] != "id"
    )
    context = {
        "project": project,
        "version": version,
        "form": form,
        "rows": rows,
        "error": error,
        "filtered": filtered,
        "links": _links(request.GET, page),
        "columns": _metadata_columns(rows),
        "is_manager": access.is_manager,
        "selection_query": filter_query(request.GET),
    }
    return render(request, "labeling/explorer/items.html", context)


def _links(params: QueryDict, page) -> dict[str, str | None]:
    def with_cursor(cursor: str | None) -> str | None:
        if cursor is None:
            return None
        query = params.copy()
        query["cursor"] = cursor
        return "?" + query.urlencode()

    first = params.copy()
    first.pop("cursor", None)
    return {
        "first": "?" + first.urlencode(),
        "previous": with_cursor(page.previous_cursor) if page else None,
        "next": with_cursor(page.next_cursor) if page else None,
        "last": with_cursor("last") if page and page.next_cursor else None,
    }


def _metadata_columns(rows: list[selectors.ExplorerRow]) -> list[str]:
    """The metadata keys of the page's items, in first-seen order: the table's metadata columns."""
    keys: dict[str, None] = {}
    for row in rows:
        if isinstance(row.item.metadata, dict):
            keys.update(dict.fromkeys(row.item.metadata))
    return list(keys)[:12]


def _reviewable_item(request: HttpRequest, item_id: int) -> tuple[Project, Item]:
    item = item_get_for_user(user=request.user, item_id=item_id)  # 404 for a non-member
    project = project_for_page(request, item.project_id, roles=REVIEWERS)  # 403 for an annotator
    return project, item


@login_required
def item_page(request: HttpRequest, item_id: int) -> HttpResponse:
    project, item = _reviewable_item(request, item_id)
    story = selectors.item_story(item_id=item.pk, user=request.user)
    context = {
        "project": project,
        "story": story,
        "item": story.item,
        "adjudicate_form": AdjudicateForm(project=project),
        "send_back_form": SendBackForm(),
        "back": request.GET.get("back", "") if request.GET.get("back", "").startswith("/projects/") else "",
    }
    return render(request, "labeling/explorer/item.html", context)


@login_required
@require_POST
def item_adjudicate(request: HttpRequest, item_id: int) -> HttpResponse:
    """Settle the item's final label through the review's service, then show the item again."""
    project, item = _reviewable_item(request, item_id)
    form = AdjudicateForm(request.POST, project=project)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            review_services.adjudication_create(
                item=item, reviewer=request.user, value=form.value(), note=form.cleaned_data["note"]
            )
            messages.success(request, "Final label saved.")
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect(reverse("item-detail", args=[item.pk]))


@login_required
@require_POST
def item_send_back(request: HttpRequest, item_id: int) -> HttpResponse:
    """Ask for more annotators through the review's service, then show the item again."""
    _, item = _reviewable_item(request, item_id)
    form = SendBackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            count = form.cleaned_data["count"]
            review_services.item_send_back(
                item=item, reviewer=request.user, count=count, note=form.cleaned_data["note"]
            )
            messages.success(request, f"Sent back for {count} more label{'s' if count > 1 else ''}.")
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect(reverse("item-detail", args=[item.pk]))


def _form_errors(form: Form) -> str:
    return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
