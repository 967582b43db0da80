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


# The headline figures of each task type, first the one charted per person: (key, name).
FIGURES = {
    "classification": (("accuracy", "Accuracy"), ("cohen_kappa", "Cohen's kappa"), ("macro_f1", "Macro F1")),
    "multilabel": (
        ("micro_f1", "Micro F1"),
        ("macro_f1", "Macro F1"),
        ("subset_accuracy", "Subset accuracy"),
        ("hamming_loss", "Hamming loss (lower is better)"),
        ("mean_kappa", "Mean per-label kappa"),
        ("micro_precision", "Micro precision"),
        ("micro_recall", "Micro recall"),
    ),
    "spans": (
        ("micro_f1", "Micro F1 (exact spans)"),
        ("micro_precision", "Micro precision"),
        ("micro_recall", "Micro recall"),
        ("macro_f1", "Macro F1"),
        ("exact_match", "Exact match (items)"),
    ),
}
FIGURES["image"] = FIGURES["classification"]


def _task_type(result: dict[str, Any]) -> str:
    return result.get("task_type") or "classification"


def _interval_note(figure: dict[str, Any], key: str) -> str:
    low, high = figure.get(f"{key}_interval") or (None, None)
    return f"[{low:.2f}, {high:.2f}]" if low is not None and high is not None else ""


def _charts(result: dict[str, Any]) -> dict[str, Any]:
    model, group = result["model"], result["human_level"]
    key, name = FIGURES[_task_type(result)][0]
    people = [("model", model[key], _interval_note(model, key))]
    people.append(("human level", group[key], _interval_note(group, key)))
    people += [(a["annotator"], a[key], _interval_note(a, key)) for a in result["annotators"]]
    charts_found = {
        "headline_name": name,
        "accuracy_svg": charts.bar_chart(rows=people, label=f"{name} of the model and of each annotator"),
        "gap_svg": charts.bar_chart(
            rows=[(row["label"], row["gap"], "") for row in result["per_label_gap"]],
            low=-1.0,
            label="Per label: human-level F1 minus the model's",
        ),
    }
    if result.get("confusion") is not None:
        charts_found["confusion_svg"] = charts.count_matrix(
            labels=result["labels"], matrix=result["confusion"], rows="settled label", columns="model's label"
        )
    if result["coverage"]:
        exact = "accuracy" if "accuracy" in group else "subset_accuracy"
        charts_found["coverage_svg"] = charts.coverage_curve(
            points=[(p["coverage"], p["accuracy"]) for p in result["coverage_curve"]],
            human=group[exact],
            label="Accuracy against coverage",
        )
    return charts_found


def _figure_rows(result: dict[str, Any], other: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    for key, name in FIGURES[_task_type(result)]:
        row = {
            "key": key,
            "name": name,
            "model": result["model"][key],
            "model_interval": result["model"][f"{key}_interval"],
            "human": result["human_level"][key],
            "human_interval": result["human_level"][f"{key}_interval"],
        }
        if other is not None:
            row["other"] = other["model"].get(key)
            row["other_interval"] = other["model"].get(f"{key}_interval")
        rows.append(row)
    return rows


def _shown(value: Any) -> str:
    """A settled or predicted value as text: a label, a set of labels, or spans."""
    if isinstance(value, list):
        parts = [f"{v['start']}-{v['end']} {v['label']}" if isinstance(v, dict) else str(v) for v in value]
        return ", ".join(parts) or "(none)"
    return str(value)


def _annotator_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    keys = [key for key, _ in FIGURES[_task_type(result)][:3]]
    return [
        {"annotator": a["annotator"], "n": a["n"], "figures": [(a[k], a[f"{k}_interval"]) for k in keys]}
        for a in result["annotators"]
    ]


def _slice_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    figure = "accuracy" if _task_type(result) in ("classification", "image") else "micro_f1"
    return [
        {**row, "model": row.get(f"model_{figure}"), "human": row.get(f"human_{figure}")}
        for row in result["per_slice_gap"][:SHOWN_SLICES]
    ]


def _label_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    human = {row["label"]: row for row in result["human_level"]["per_label"]}
    return [{**row, "human_f1": human[row["label"]]["f1"]} for row in result["model"]["per_label"]]


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
            task_type=_task_type(result),
            figures=_figure_rows(result, other),
            figure_names=[name for _, name in FIGURES[_task_type(result)][:3]],
            annotator_rows=_annotator_rows(result),
            label_rows=_label_rows(result),
            slices=_slice_rows(result),
            disagreements=[
                {**row, "settled": _shown(row["settled"]), "predicted": _shown(row["predicted"])}
                for row in result["disagreements"][:SHOWN_DISAGREEMENTS]
            ],
            **_charts(result),
        )
    return render(request, "labeling/models/evaluation.html", context)
