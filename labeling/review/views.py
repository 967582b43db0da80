"""The review pages: the disagreement queue with adjudication, and the agreement dashboard.

Server-rendered; forms post to these views, which call the same services as the API.
A large project's figures are computed by a worker: the page then says so and polls.
"""

import json
import logging
from itertools import pairwise
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from config import charts
from config.errors import DomainError
from datasets.selectors import versions_list
from labeling.models import ReviewResult, ReviewResultStatus
from labeling.review import listing, ranked, selectors, services
from labeling.review.data import SINGLE_LABEL
from labeling.review.forms import ReviewDecisionForm
from labeling.review.report import AgreementReport
from labeling.review.services.refresh import review_result_refresh
from labeling.selectors import item_get_for_user
from projects.models import Project, Role, Suggestions, TaskType
from projects.selectors import REVIEWERS, RoleRequired, project_get_for_user

logger = logging.getLogger(__name__)

GREY = "#7f7f7f"
# Confusion matrices drawn on the dashboard; the API has every annotator's.
MAX_CONFUSION_MATRICES = 40
FILTERS = ("version", "label", "annotator", "metadata", "order", "all")
# What the agreement-over-time chart draws: the alpha each task type's report leads with.
OVER_TIME_FIGURE = {TaskType.MULTILABEL: "MASI alpha", TaskType.SPANS: "token alpha"}


def _project(request: HttpRequest, project_id: int) -> Project:
    try:
        return project_get_for_user(user=request.user, project_id=project_id, roles=REVIEWERS)
    except RoleRequired:
        raise PermissionDenied("reviewers and managers only") from None


def _current(project: Project, version: int, kind: str) -> ReviewResult:
    """The cached result when it is fresh; else brought up to date by the refresh service
    (computed now, or handed to a worker while the page says so and polls)."""
    cached = selectors.review_result_cached(project=project, version=version, kind=kind)
    if cached.fresh and cached.row is not None:
        return cached.row
    return review_result_refresh(project=project, version=version, cached=cached)


def _colors(project: Project) -> dict[str, str]:
    return {label["name"]: label.get("color") or GREY for label in project.labels}


def span_segments(text: str, spans: list[dict[str, Any]], colors: dict[str, str]) -> list[dict[str, Any]]:
    """The text cut at every span boundary of one annotator, each piece with the label covering it."""
    cuts = sorted({0, len(text), *(s["start"] for s in spans), *(s["end"] for s in spans)})
    pieces = []
    for start, end in pairwise(cuts):
        if start >= end:
            continue
        covering = [s for s in spans if s["start"] <= start and s["end"] >= end]
        label = covering[0]["label"] if covering else None
        pieces.append({"text": text[start:end], "label": label, "color": colors.get(label, GREY) if label else None})
    return pieces


def _value_names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(part.get("label")) if isinstance(part, dict) else str(part) for part in value]


def _row_view(row: dict[str, Any], *, project: Project, colors: dict[str, str]) -> dict[str, Any]:
    data = row["item"]["data"] or {}
    text = data.get("text") if isinstance(data.get("text"), str) else ""
    annotations = []
    for annotation in row["annotations"]:
        entry = {
            "annotator": annotation["annotator"],
            "updated_at": annotation["updated_at"],
            "names": [{"name": n, "color": colors.get(n, GREY)} for n in _value_names(annotation["value"])],
            "json": json.dumps(annotation["value"], ensure_ascii=False),
        }
        if project.task_type == TaskType.SPANS:
            entry["segments"] = span_segments(text, annotation["value"] or [], colors)
        annotations.append(entry)
    consensus = row["consensus"]
    adjudication = row["adjudication"]
    provisional = None if consensus["tie"] else consensus["value"]  # a tie is the reviewer's to decide
    chosen = adjudication["value"] if adjudication else provisional
    return {
        **row,
        "text": text,
        "image": data.get("image") if project.task_type == TaskType.IMAGE else None,
        "metadata_items": sorted((row["item"]["metadata"] or {}).items())[:20],
        "annotation_views": annotations,
        "consensus_names": _value_names(consensus["value"]),
        "chosen_names": _value_names(chosen),
        "chosen_json": json.dumps(chosen if chosen is not None else [], ensure_ascii=False),
        "adjudication_names": _value_names(adjudication["value"]) if adjudication else [],
    }


@login_required
@require_GET
def review_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    params = request.GET
    context: dict[str, Any] = {
        "project": project,
        "filters": {key: params.get(key, "") for key in FILTERS},
        "orders": listing.ORDERS,
        "versions": versions_list(project=project).values_list("number", flat=True),
        "annotators": project.memberships.filter(role=Role.ANNOTATOR).values_list("user__username", flat=True),
        "query": params.urlencode(),
        "rows": [],
        "is_spans": project.task_type == TaskType.SPANS,
        "is_multi": project.task_type == TaskType.MULTILABEL,
        "api_url": reverse("api-disagreements", args=[project.pk]) + ("?" + params.urlencode() if params else ""),
    }
    try:
        version = selectors.version_number(project=project, raw=params.get("version"))
        query = listing.disagreement_query(
            project=project,
            label=params.get("label"),
            annotator=params.get("annotator"),
            metadata=params.get("metadata"),
            order=params.get("order"),
            page=params.get("page"),
            everything=params.get("all"),
        )
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "labeling/review/review.html", context, status=400)
    context["version"] = version
    context["filters"]["all"] = query.everything
    context["slices"] = selectors.slice_options(project=project, version=version)
    context["all_link"] = _all_link(params, show_all=not query.everything)
    results: dict[str, Any] = {}
    for kind in query.kinds:
        row = _current(project, version, kind)
        if row.status != ReviewResultStatus.DONE:
            context["pending"] = row
            return render(request, "labeling/review/review.html", context)
        results[kind] = row
    result = listing.disagreements(
        project=project, version=version, query=query, ranking=results["items"], issues=results.get("label_issues")
    )
    colors = _colors(project)
    context["result"] = result
    context["exact_limit"] = f"{ranked.EXACT_COUNT_LIMIT:,}"
    context["rows"] = [_row_view(row, project=project, colors=colors) for row in result.rows]
    context["page_links"] = _page_links(params, result.page, result.pages if result.has_next else result.page)
    return render(request, "labeling/review/review.html", context)


def _all_link(params: QueryDict, *, show_all: bool) -> str:
    """The same queue with the items everyone agreed on shown (or hidden again), from its first page."""
    query = params.copy()
    query.pop("page", None)
    query.pop("all", None)
    if show_all:
        query["all"] = "1"
    return "?" + query.urlencode()


def _page_links(params: QueryDict, page: int, pages: int) -> dict[str, str | None]:
    def link(number: int) -> str | None:
        if not 1 <= number <= pages:
            return None
        query = params.copy()
        query["page"] = str(number)
        return "?" + query.urlencode()

    return {"previous": link(page - 1), "next": link(page + 1)}


@login_required
@require_POST
def adjudicate(request: HttpRequest, project_id: int, item_id: int) -> HttpResponse:
    """Settle an item's label, or send it back for more labels, then return to the queue as it was."""
    project = _project(request, project_id)
    item = item_get_for_user(user=request.user, item_id=item_id)
    if item.project_id != project.pk:
        raise PermissionDenied("the item is not in this project")
    name = item.external_id or f"item {item.pk}"
    form = ReviewDecisionForm(request.POST, project=project)
    if not form.is_valid():
        messages.error(request, f"{name}: {form.first_error()}")
    else:
        data = form.cleaned_data
        try:
            if data["action"] == "send_back":
                services.item_send_back(item=item, reviewer=request.user, count=data["count"], note=data["note"])
                messages.success(request, f"Sent {name} back for {data['count']} more label(s).")
            else:
                services.adjudication_create(item=item, reviewer=request.user, value=data["value"], note=data["note"])
                messages.success(request, f"Final label of {name} saved.")
        except DomainError as exc:
            messages.error(request, f"{name}: {exc.message}")
    # re-encoded: only a query string survives
    query = QueryDict(form.cleaned_data.get("query", ""), mutable=True)
    return redirect(reverse("review", args=[project.pk]) + ("?" + query.urlencode() if query else ""))


@login_required
@require_GET
def agreement_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    context: dict[str, Any] = {
        "project": project,
        "versions": versions_list(project=project).values_list("number", flat=True),
        "api_url": reverse("api-agreement", args=[project.pk]) + ("?" + request.GET.urlencode() if request.GET else ""),
    }
    try:
        version = selectors.version_number(project=project, raw=request.GET.get("version"))
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "labeling/review/agreement.html", context, status=400)
    row = _current(project, version, "agreement")
    context.update(version=version, row=row)
    if row.status == ReviewResultStatus.DONE:
        report = selectors.agreement_report(project=project, version=version, result=row.result)
        context.update(_dashboard(project=project, report=report))
        if project.task_type in SINGLE_LABEL:
            context["dawid_skene"] = _dawid_skene_panel(project=project, version=version)
        if project.suggestions != Suggestions.OFF:
            context["anchoring"] = _anchoring_panel(project=project, version=version)
    return render(request, "labeling/review/agreement.html", context)


def _anchoring_panel(*, project: Project, version: int) -> dict[str, Any]:
    """Agreement with the model and between people, with and without the suggestion on screen."""
    row = _current(project, version, "anchoring")
    panel: dict[str, Any] = {
        "status": row.status,
        "error": row.error,
        "poll_url": reverse("api-anchoring", args=[project.pk]) + f"?version={version}",
    }
    if row.status != ReviewResultStatus.DONE:
        return panel
    result = row.result
    panel.update(
        holdout_percent=f"{project.suggestion_holdout * 100:g}",
        gap=result["model_agreement_gap"],
        groups=[
            {"key": key, "name": name, "with_model": result[key]["agreement_with_model"],
             "between_people": result[key]["agreement_between_people"]}
            for key, name in (("shown", "With the suggestion"), ("withheld", "Without it (holdout)"))
        ],
    )  # fmt: skip
    return panel


def _dawid_skene_panel(*, project: Project, version: int) -> dict[str, Any]:
    """Each annotator's confusion matrix from the cached Dawid-Skene consensus, got like the report:
    computed now for a small project, else queued for a worker while the page says so and polls."""
    panel: dict[str, Any] = {
        "inline_max": f"{services.inline_limit():,}",
        "poll_url": reverse("api-consensus", args=[project.pk]) + f"?method=dawid_skene&version={version}&page_size=1",
    }
    try:
        row = _current(project, version, "dawid_skene")
    except Exception as exc:  # stored on its row as failed; the rest of the dashboard still shows
        logger.exception("Dawid-Skene of project %s v%s failed", project.pk, version)
        return {**panel, "status": ReviewResultStatus.FAILED, "error": f"{type(exc).__name__}: {exc}"}
    panel.update(status=row.status, error=row.error, started_at=row.started_at)
    if row.status != ReviewResultStatus.DONE:
        return panel
    parts = selectors.result_parts(row=row, keys=("labels", "confusion"))
    labels = parts["labels"] or project.label_names
    matrices = list((parts["confusion"] or {}).items())
    panel["matrices"] = [
        {"annotator": name, "svg": charts.confusion_matrix(annotator=name, labels=labels, matrix=matrix)}
        for name, matrix in matrices[:MAX_CONFUSION_MATRICES]
    ]
    panel["not_shown"] = max(0, len(matrices) - MAX_CONFUSION_MATRICES)
    return panel


def _dashboard(*, project: Project, report: AgreementReport) -> dict[str, Any]:
    low, high = report.alpha_ci
    names = [entry.annotator for entry in report.per_annotator]
    over_time_figure = OVER_TIME_FIGURE.get(project.task_type, "alpha")
    return {
        "report": report,
        "alpha": report.alpha,
        "ci": report.alpha_ci,
        "figures": report.figures,
        "shows_percent": report.has_percent_agreement,
        "reasons": sorted(report.reasons.items()),
        "per_annotator": report.per_annotator,
        "interval_svg": charts.interval(value=report.alpha, low=low, high=high),
        "heatmap_svg": charts.kappa_heatmap(annotators=names, pairwise=report.pairwise, key=report.pair_figure),
        "kappa_key": report.pair_figure.replace("_", " "),
        "labels_svg": charts.bar_chart(
            rows=[(e.label, e.agreement, f"({e.uses} uses)" if e.uses is not None else "") for e in report.per_label],
            low=-1.0,
            label="Agreement per label (alpha, or span F1 with overlap)",
        ),
        "annotators_svg": charts.bar_chart(
            rows=[(e.annotator, e.agreement, f"(n={e.n})") for e in report.per_annotator],
            label="Each annotator's agreement with the others",
        ),
        "gold_svg": charts.bar_chart(
            rows=[(e.annotator, e.gold_accuracy, f"({e.gold_n} gold)") for e in report.per_annotator if e.gold_n],
            label="Accuracy on gold items",
        ),
        "over_time_figure": over_time_figure,
        "over_time_svg": charts.line_chart(
            points=report.over_time,
            label=f"{over_time_figure} per week",
            empty="Not enough overlapping labels in any week yet.",
        ),
    }
