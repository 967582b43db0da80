"""The validation suite editor.

The suite form posts back to itself for every action (add or remove a row, suggest,
save), so it works without JavaScript; nothing is stored until a save succeeds.
"""

import contextlib
import dataclasses
import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from config.errors import DomainError
from config.forms import first_error
from projects.models import Project
from projects.selectors import MANAGERS, project_access_for_page, project_for_page
from quality.suites import services as suite_services
from quality.suites.forms import CheckSettingsForm, SuiteActionForm, SuiteJsonForm, SuiteRowsForm
from quality.validation import FORM_EXPECTATIONS, FORM_TYPES, CheckSettings, suite_to_form
from quality.validation.settings import CATEGORICAL_METHODS, NUMERIC_METHODS, SEVERITIES

SETTING_CHOICES = {
    "numeric_method": NUMERIC_METHODS,
    "categorical_method": CATEGORICAL_METHODS,
    **{name: SEVERITIES for name in CheckSettings().asdict() if name.endswith("_severity")},
}


# -- the suite editor ----------------------------------------------------------------------
def _param_text(value: Any) -> str:
    """A parameter as the form shows it: lists comma-separated, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_param_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _form_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows ready for the template: each parameter with its label, kind and current text."""
    shown = []
    for index, row in enumerate(rows):
        spec = FORM_EXPECTATIONS.get(row.get("type", ""))
        if spec is None or row.get("advanced"):
            shown.append(
                {
                    "index": index,
                    "advanced": True,
                    "type": row.get("type", ""),
                    "json": row.get("json") or "",
                    "raw": json.dumps(row),
                }
            )
            continue
        params = [
            {
                **param,
                "title": param["name"].replace("_", " "),
                "value": _param_text(row.get(param["name"])),
                "field": f"p_{index}_{param['name']}",
            }
            for param in spec["params"]
        ]
        shown.append(
            {
                "index": index,
                "type": row["type"],
                "label": spec["label"],
                "severity": row.get("severity") or "critical",
                "params": params,
            }
        )
    return shown


def _settings_fields(values: dict[str, Any]) -> list[dict[str, Any]]:
    fields = []
    for field in dataclasses.fields(CheckSettings):
        value = values.get(field.name, getattr(CheckSettings(), field.name))
        kind = type(getattr(CheckSettings(), field.name)).__name__
        fields.append(
            {
                "name": field.name,
                "label": field.name.replace("_", " "),
                "kind": kind,
                "value": value,
                "choices": SETTING_CHOICES.get(field.name),
            }
        )
    return fields


def _suite_action(
    request: HttpRequest, project: Project, buttons: SuiteActionForm, rows: list[dict[str, Any]]
) -> tuple[Any, str]:
    """Carry out a POSTed action; return (rows to show, or None to redirect; pasted JSON to show again)."""
    action = buttons.cleaned("action")
    if buttons.cleaned("remove") is not None:
        with contextlib.suppress(IndexError):
            del rows[buttons.cleaned("remove")]
        return rows, ""
    if action == "add":
        if buttons.cleaned("new_type"):
            rows.append({"type": buttons.cleaned("new_type"), "severity": "critical"})
        return rows, ""
    if action == "suggest":
        try:
            rows = suite_to_form(suite_services.suite_propose(project=project))
        except DomainError as exc:
            messages.error(request, f"Not saved: {exc.message}")
            return rows, ""
        messages.info(request, "Suggested from the current version. Review the rows, then save the suite.")
        return rows, ""
    if action == "save_form":
        return _saved(
            request,
            lambda: suite_services.suite_set_from_form(project=project, user=request.user, rows=rows),
            "Suite saved. It applies to every batch validated from now on.",
            rows,
        ), ""
    if action == "save_json":
        form = SuiteJsonForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, f"Not saved: {first_error(form)}")
            return rows, form.pasted()
        shown = _saved(
            request,
            lambda: suite_services.suite_set(project=project, user=request.user, suite=form.cleaned_data["suite_text"]),
            "Suite saved from JSON.",
            rows,
        )
        return shown, form.pasted()
    if action == "save_checks":
        form = CheckSettingsForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Not saved: {first_error(form)}")
            return rows, ""
        return _saved(
            request,
            lambda: suite_services.check_settings_set(project=project, user=request.user, data=form.settings()),
            "Check settings saved.",
            rows,
        ), ""
    return rows, ""


def _saved(request: HttpRequest, save: Callable[[], Any], success: str, rows: list[dict[str, Any]]) -> Any:
    """Run a save; None (go back to the page) when it was stored, the rows to show again when it was not."""
    try:
        save()
    except DomainError as exc:
        messages.error(request, f"Not saved: {exc.message}")
        return rows
    messages.success(request, success)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def suite_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    access = project_access_for_page(request, project_id)
    project, is_manager = access.project, access.is_manager
    pasted = ""
    settings_values = suite_services.check_settings_read(project=project).asdict()
    if request.method == "POST":
        project = project_for_page(request, project_id, roles=MANAGERS)
        buttons = SuiteActionForm(request.POST)
        if buttons.cleaned("row_count") is not None:  # the rows' form: what was typed, saved or not
            rows = SuiteRowsForm(request.POST).rows()
        else:  # the JSON or the checks' form: the rows stay as stored
            rows = suite_to_form(suite_services.suite_read(project=project))
        if buttons.cleaned("action") == "save_checks":  # shown as typed if it is not saved
            settings_values = {**settings_values, **CheckSettingsForm(request.POST).settings()}
        shown, pasted = _suite_action(request, project, buttons, rows)
        if shown is None:
            return redirect("suite-edit", project_id=project.pk)
        rows = shown
    else:
        rows = suite_to_form(suite_services.suite_read(project=project))
    suite = suite_services.suite_read(project=project)
    context = {
        "project": project,
        "is_manager": is_manager,
        "rows": _form_rows(rows),
        "row_count": len(rows),
        "expectation_types": [(kind, spec["label"]) for kind, spec in FORM_EXPECTATIONS.items()],
        "severities": SEVERITIES,
        "form_types": FORM_TYPES,
        "suite_json": pasted or json.dumps(suite, indent=2),
        "settings_fields": _settings_fields(settings_values),
    }
    return render(request, "quality/suite.html", context)
