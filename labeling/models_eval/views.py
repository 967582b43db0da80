"""The model pages: the versions uploaded, and one version's evaluation with charts.

A large project's evaluation is computed by a worker: the page says so and reloads when done.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from config import charts
from config.errors import DomainError
from labeling.models import ReviewResultStatus
from labeling.models_eval.api import evaluations
from labeling.predictions.selectors import model_versions
from projects.models import Project
from projects.selectors import REVIEWERS, RoleRequired, project_get_for_user

SHOWN_SLICES = 20
SHOWN_DISAGREEMENTS = 50


def _project(request: HttpRequest, project_id: int) -> Project:
    try:
        return project_get_for_user(user=request.user, project_id=project_id, roles=REVIEWERS)
    except RoleRequired:
        raise PermissionDenied("reviewers and managers only") from None


@login_required
@require_GET
def models_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project(request, project_id)
    return render(
        request, "labeling/models/list.html", {"project": project, "versions": model_versions(project=project)}
    )


def _interval_note(figure: dict[str, Any], key: str) -> str:
    low, high = figure.get(f"{key}_interval") or (None, None)
    return f"[{low:.2f}, {high:.2f}]" if low is not None and high is not None else ""


def _charts(result: dict[str, Any]) -> dict[str, Any]:
    model, group = result["model"], result["human_level"]
    people = [("model", model["accuracy"], _interval_note(model, "accuracy"))]
    people.append(("human level", group["accuracy"], _interval_note(group, "accuracy")))
    people += [(a["annotator"], a["accuracy"], _interval_note(a, "accuracy")) for a in result["annotators"]]
    return {
        "accuracy_svg": charts.bar_chart(rows=people, label="Accuracy of the model and of each annotator"),
        "gap_svg": charts.bar_chart(
            rows=[(row["label"], row["gap"], "") for row in result["per_label_gap"]],
            low=-1.0,
            label="Per label: human-level F1 minus the model's",
        ),
        "confusion_svg": charts.count_matrix(
            labels=result["labels"], matrix=result["confusion"], rows="settled label", columns="model's label"
        ),
        "coverage_svg": charts.coverage_curve(
            points=[(p["coverage"], p["accuracy"]) for p in result["coverage_curve"]],
            human=group["accuracy"],
            label="Accuracy against coverage",
        ),
    }


def _figure_rows(result: dict[str, Any], other: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    for key, name in (("accuracy", "Accuracy"), ("cohen_kappa", "Cohen's kappa"), ("macro_f1", "Macro F1")):
        row = {
            "key": key,
            "name": name,
            "model": result["model"][key],
            "model_interval": result["model"][f"{key}_interval"],
            "human": result["human_level"][key],
            "human_interval": result["human_level"][f"{key}_interval"],
        }
        if other is not None:
            row["other"] = other["model"][key]
            row["other_interval"] = other["model"][f"{key}_interval"]
        rows.append(row)
    return rows


@login_required
@require_GET
def evaluation_page(request: HttpRequest, project_id: int, name: str) -> HttpResponse:
    project = _project(request, project_id)
    unknown = sorted(set(request.GET) - {"compare"})
    if unknown:
        context = {"project": project, "name": name, "error": f"unknown query parameter: {', '.join(unknown)}"}
        return render(request, "labeling/models/evaluation.html", context, status=400)
    compare = request.GET.get("compare") or None
    api_url = reverse("api-model-evaluation", args=[project.pk, name]) + (
        "?" + request.GET.urlencode() if compare else ""
    )
    names = sorted({v.name for v in model_versions(project=project) if v.status == "done"} - {name})
    context: dict[str, Any] = {
        "project": project,
        "name": name,
        "compare": compare,
        "others": names,
        "api_url": api_url,
    }
    try:
        rows = evaluations(project, name, compare)
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "labeling/models/evaluation.html", context, status=exc.status_code)
    pending = next((row for row in rows if row.status != ReviewResultStatus.DONE), None)
    context["row"] = pending or rows[0]
    if pending is None:
        result = rows[0].result
        other = rows[1].result if len(rows) > 1 else None
        context.update(
            result=result,
            other=other,
            figures=_figure_rows(result, other),
            slices=result["per_slice_gap"][:SHOWN_SLICES],
            disagreements=result["disagreements"][:SHOWN_DISAGREEMENTS],
            **_charts(result),
        )
    return render(request, "labeling/models/evaluation.html", context)
