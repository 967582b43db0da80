"""The validation suite editor.

The suite form posts back to itself for every action (add or remove a row, suggest,
save), so it works without JavaScript; nothing is stored until a save succeeds.
"""

import contextlib
import dataclasses
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from config.errors import DomainError
from projects.models import Project, Role
from projects.selectors import MANAGERS, project_for_page
from quality.suites import services as suite_services
from quality.validation import FORM_EXPECTATIONS, FORM_TYPES, CheckSettings, suite_to_form
from quality.validation.settings import CATEGORICAL_METHODS, NUMERIC_METHODS, SEVERITIES

MAX_SUITE_UPLOAD = 2 * 1024 * 1024
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


def _rows_from_post(request: HttpRequest) -> list[dict[str, Any]]:
    """The form's rows as typed, in order; a row the form cannot edit comes back as it was sent."""
    try:
        count = min(int(request.POST.get("row_count", "0")), 500)
    except ValueError:
        count = 0
    rows = []
    for index in range(count):
        raw = request.POST.get(f"raw_{index}")
        if raw:
            with contextlib.suppress(ValueError):
                rows.append(json.loads(raw))
            continue
        kind = request.POST.get(f"type_{index}", "")
        if kind not in FORM_EXPECTATIONS:
            continue
        row: dict[str, Any] = {"type": kind, "severity": request.POST.get(f"severity_{index}", "critical")}
        for param in FORM_EXPECTATIONS[kind]["params"]:
            row[param["name"]] = request.POST.get(f"p_{index}_{param['name']}", "").strip()
        rows.append(row)
    return rows


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


def _settings_from_post(request: HttpRequest) -> dict[str, Any]:
    """The settings form as typed values; a value that does not parse is left for the check to refuse."""
    data: dict[str, Any] = {}
    defaults = CheckSettings()
    for field in dataclasses.fields(CheckSettings):
        default = getattr(defaults, field.name)
        key = f"check_{field.name}"
        if isinstance(default, bool):
            data[field.name] = key in request.POST
            continue
        text = request.POST.get(key, "").strip()
        if text == "":
            continue
        if isinstance(default, int):
            try:
                data[field.name] = int(text)
            except ValueError:
                raise DomainError(f"{field.name.replace('_', ' ')} must be a whole number") from None
        elif isinstance(default, float):
            try:
                data[field.name] = float(text)
            except ValueError:
                raise DomainError(f"{field.name.replace('_', ' ')} must be a number") from None
        else:
            data[field.name] = text
    return data


def _suite_json_from_post(request: HttpRequest) -> str:
    uploaded = request.FILES.get("suite_file")
    if uploaded is not None:
        if uploaded.size and uploaded.size > MAX_SUITE_UPLOAD:
            raise DomainError(f"the suite file is larger than {MAX_SUITE_UPLOAD // 1024 // 1024} MB")
        try:
            return uploaded.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DomainError("the suite file is not UTF-8 text") from None
    text = request.POST.get("suite_json", "").strip()
    if not text:
        raise DomainError("paste a suite's JSON or choose a file")
    return text


def _suite_action(request: HttpRequest, project: Project, rows: list[dict[str, Any]]) -> tuple[Any, str]:
    """Carry out a POSTed action; return (rows to show, or None to redirect; pasted JSON to show again)."""
    action = request.POST.get("action", "")
    pasted = ""
    if "remove" in request.POST:
        with contextlib.suppress(ValueError, IndexError):
            del rows[int(request.POST["remove"])]
        return rows, pasted
    if action == "add":
        kind = request.POST.get("new_type", "")
        if kind in FORM_EXPECTATIONS:
            rows.append({"type": kind, "severity": "critical"})
        return rows, pasted
    try:
        if action == "suggest":
            rows = suite_to_form(suite_services.suite_propose(project=project))
            messages.info(request, "Suggested from the current version. Review the rows, then save the suite.")
            return rows, pasted
        if action == "save_form":
            suite_services.suite_set_from_form(project=project, user=request.user, rows=rows)
            messages.success(request, "Suite saved. It applies to every batch validated from now on.")
            return None, pasted
        if action == "save_json":
            pasted = request.POST.get("suite_json", "")
            suite_services.suite_set(project=project, user=request.user, suite=_suite_json_from_post(request))
            messages.success(request, "Suite saved from JSON.")
            return None, pasted
        if action == "save_checks":
            suite_services.check_settings_set(project=project, user=request.user, data=_settings_from_post(request))
            messages.success(request, "Check settings saved.")
            return None, pasted
    except DomainError as exc:
        messages.error(request, f"Not saved: {exc.message}")
    return rows, pasted


@login_required
@require_http_methods(["GET", "POST"])
def suite_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_for_page(request, project_id)
    is_manager = project.caller_role == Role.MANAGER
    pasted = ""
    settings_values = suite_services.check_settings_read(project=project).asdict()
    if request.method == "POST":
        project = project_for_page(request, project_id, roles=MANAGERS)
        if "row_count" in request.POST:  # the rows' form: what was typed, saved or not
            rows = _rows_from_post(request)
        else:  # the JSON or the checks' form: the rows stay as stored
            rows = suite_to_form(suite_services.suite_read(project=project))
        if request.POST.get("action") == "save_checks":
            with contextlib.suppress(DomainError):
                settings_values = {**settings_values, **_settings_from_post(request)}
        shown, pasted = _suite_action(request, project, rows)
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
