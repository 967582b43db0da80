"""The suite editor's forms: which button was pressed, the expectation rows, the JSON, the check settings.

They coerce what the page posts into what the suite services take; whether a suite or a
setting is acceptable is for those services to say, so the page and the API agree.
"""

import contextlib
import dataclasses
import json
from typing import Any

from django import forms

from quality.validation import FORM_EXPECTATIONS, CheckSettings

MAX_SUITE_UPLOAD = 2 * 1024 * 1024
MAX_ROWS = 500
ACTIONS = ["add", "suggest", "save_form", "save_json", "save_checks"]


class SuiteActionForm(forms.Form):
    """The button pressed: an action, a row's Remove, or Add with the chosen expectation type."""

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS], required=False)
    remove = forms.IntegerField(required=False, min_value=0)
    new_type = forms.ChoiceField(choices=[(kind, kind) for kind in FORM_EXPECTATIONS], required=False)
    # Only the rows' form sends it: its rows are shown as typed, saved or not.
    row_count = forms.IntegerField(required=False, min_value=0)

    def cleaned(self, name: str) -> Any:
        """A field's value, or None when it was absent or did not parse (an unknown button does nothing)."""
        self.is_valid()
        return self.cleaned_data.get(name)


class SuiteRowsForm(forms.Form):
    """The expectation rows as typed; one set of fields per row, as many as ``row_count`` says.

    A row the form cannot edit travels as its JSON (``raw_<n>``) and comes back as it was sent.
    """

    row_count = forms.IntegerField(required=False, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        count = 0
        with contextlib.suppress(TypeError, ValueError):
            count = max(0, min(int(self.data.get("row_count", 0)), MAX_ROWS))
        self.count = count
        for index in range(count):
            self.fields[f"raw_{index}"] = forms.CharField(required=False, strip=False)
            self.fields[f"type_{index}"] = forms.CharField(required=False)
            self.fields[f"severity_{index}"] = forms.CharField(required=False)
            for param in FORM_EXPECTATIONS.get(self.data.get(f"type_{index}", ""), {}).get("params", []):
                self.fields[f"p_{index}_{param['name']}"] = forms.CharField(required=False)

    def rows(self) -> list[dict[str, Any]]:
        """The rows in order, parameters as typed text (the service parses and checks them)."""
        self.is_valid()
        data = self.cleaned_data
        rows: list[dict[str, Any]] = []
        for index in range(self.count):
            if data.get(f"raw_{index}"):
                with contextlib.suppress(ValueError):
                    rows.append(json.loads(data[f"raw_{index}"]))
                continue
            kind = data.get(f"type_{index}", "")
            if kind not in FORM_EXPECTATIONS:
                continue
            row: dict[str, Any] = {"type": kind, "severity": data.get(f"severity_{index}") or "critical"}
            for param in FORM_EXPECTATIONS[kind]["params"]:
                row[param["name"]] = data.get(f"p_{index}_{param['name']}", "")
            rows.append(row)
        return rows


class SuiteJsonForm(forms.Form):
    """A suite as Great Expectations serializes it, pasted or as a file (the file wins)."""

    suite_json = forms.CharField(required=False, strip=False)
    suite_file = forms.FileField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        uploaded = data.get("suite_file")
        if uploaded is not None:
            if uploaded.size and uploaded.size > MAX_SUITE_UPLOAD:
                raise forms.ValidationError(f"the suite file is larger than {MAX_SUITE_UPLOAD // 1024 // 1024} MB")
            try:
                data["suite_text"] = uploaded.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError("the suite file is not UTF-8 text") from None
        elif (data.get("suite_json") or "").strip():
            data["suite_text"] = data["suite_json"].strip()
        else:
            raise forms.ValidationError("paste a suite's JSON or choose a file")
        return data

    def pasted(self) -> str:
        """What was pasted, to show again when it is not saved."""
        return self["suite_json"].value() or ""


def _setting_field(name: str, default: Any) -> forms.Field:
    title = name.replace("_", " ")
    if isinstance(default, bool):
        return forms.BooleanField(required=False)
    if isinstance(default, int):
        return forms.IntegerField(required=False, error_messages={"invalid": f"{title} must be a whole number"})
    if isinstance(default, float):
        return forms.FloatField(required=False, error_messages={"invalid": f"{title} must be a number"})
    return forms.CharField(required=False)


class CheckSettingsForm(forms.Form):
    """The built-in checks' settings, one ``check_<name>`` field each; a field left empty keeps its value.

    Ranges and choices are checked by ``check_settings_set`` (``CheckSettings.from_dict``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defaults = CheckSettings()
        for field in dataclasses.fields(CheckSettings):
            self.fields[f"check_{field.name}"] = _setting_field(field.name, getattr(defaults, field.name))

    def settings(self) -> dict[str, Any]:
        """The typed values that parsed, by setting name; empty text fields are left out."""
        self.is_valid()
        values = {}
        for key, value in self.cleaned_data.items():
            if value is None or value == "":
                continue
            values[key.removeprefix("check_")] = value
        return values
