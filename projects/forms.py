"""The pages' forms for projects and members: they coerce what was posted; the services judge it."""

from typing import Any

from django import forms

from config.forms import RepeatedField
from projects.label_schema import PALETTE
from projects.models import LabelScale, Role, TaskType


def empty_label_row(index: int) -> dict[str, str]:
    return {"name": "", "hotkey": "", "color": PALETTE[index % len(PALETTE)]}


class ProjectCreateForm(forms.Form):
    """A new project. Choices and ranges are left to ``project_create``, so the page says what the API says."""

    name = forms.CharField(required=False, strip=False)
    task_type = forms.CharField(required=False, initial=TaskType.CLASSIFICATION)
    label_scale = forms.CharField(required=False, initial=LabelScale.NOMINAL)
    overlap = forms.IntegerField(
        required=False, initial=1, error_messages={"invalid": "Overlap must be a whole number."}
    )
    guidelines = forms.CharField(required=False, strip=False)
    label_name = RepeatedField()
    label_hotkey = RepeatedField()
    label_color = RepeatedField()
    # The "Add label" button works without JavaScript: the form comes back with one more row.
    add_label = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("add_label") and not any(name.strip() for name in data.get("label_name") or []):
            raise forms.ValidationError("Give the project at least one label.")
        return data

    def adds_a_row(self) -> bool:
        """The "Add label" button was pressed: show the form again, create nothing."""
        self.is_valid()  # binds cleaned_data, valid or not
        return bool(self.cleaned_data.get("add_label"))

    def label_rows(self) -> list[dict[str, str]]:
        """Every label row as typed, empty ones included, to show the form again; one empty row at first."""
        if not self.is_bound:
            return [empty_label_row(0)]
        self.is_valid()
        data = self.cleaned_data
        names, hotkeys, colors = (data.get(key) or [] for key in ("label_name", "label_hotkey", "label_color"))
        rows = [
            {
                "name": name,
                "hotkey": hotkeys[index] if index < len(hotkeys) else "",
                "color": colors[index] if index < len(colors) else "",
            }
            for index, name in enumerate(names)
        ] or [empty_label_row(0)]
        if data.get("add_label"):
            rows.append(empty_label_row(len(rows)))
        return rows

    def service_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``project_create``: the rows with a name, the overlap 1 when left empty."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "task_type": data["task_type"],
            "labels": [row for row in self.label_rows() if row["name"].strip()],
            "label_scale": data["label_scale"],
            "overlap": 1 if data["overlap"] is None else data["overlap"],
            "guidelines": data["guidelines"],
        }


class MemberAddForm(forms.Form):
    """A member to add or whose role changes; ``membership_set`` says whether the user and role exist."""

    username = forms.CharField(max_length=150, error_messages={"required": "Give the member's username."})
    role = forms.CharField(initial=Role.ANNOTATOR, error_messages={"required": "Choose a role."})
