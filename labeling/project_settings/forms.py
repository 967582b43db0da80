"""The settings form: the new-project form's label rows, with rows that move up and down.

It only binds what was posted; ``project_settings_update`` judges it, so the page refuses
exactly what ``PATCH /api/projects/{id}/`` refuses, in the same words.
"""

from typing import Any

from django import forms

from projects.forms import ProjectCreateForm
from projects.models import Project


class ProjectSettingsForm(ProjectCreateForm):
    """A project's settings; the task type is not one of them (fixed once data arrives)."""

    # "up:3" or "down:3": move label row 3 (from 0) and show the form again, saving nothing.
    move = forms.RegexField(regex=r"^(up|down):\d{1,3}$", required=False)

    @classmethod
    def initial_for(cls, project: Project) -> "ProjectSettingsForm":
        """The form filled with the project as it is, bound so its rows render like a posted form's."""
        data: dict[str, Any] = {
            "name": project.name,
            "label_scale": project.label_scale,
            "overlap": project.overlap,
            "guidelines": project.guidelines,
            "label_name": [label["name"] for label in project.labels],
            "label_hotkey": [label.get("hotkey", "") for label in project.labels],
            "label_color": [label.get("color", "") for label in project.labels],
        }
        return cls(data)

    def clean(self) -> dict[str, Any]:
        if self.cleaned_data.get("move"):
            return self.cleaned_data  # only a row moves: no need for a label yet
        return super().clean()

    def redisplays(self) -> bool:
        """A button that changes the rows (add, move) was pressed: show the form again, save nothing."""
        self.is_valid()
        return bool(self.cleaned_data.get("add_label") or self.cleaned_data.get("move"))

    def label_rows(self) -> list[dict[str, str]]:
        rows = super().label_rows()
        move = (self.cleaned_data.get("move") or "") if self.is_bound else ""
        if move:
            direction, _, raw = move.partition(":")
            index = int(raw)
            other = index - 1 if direction == "up" else index + 1
            if 0 <= index < len(rows) and 0 <= other < len(rows):
                rows[index], rows[other] = rows[other], rows[index]
        return rows

    def service_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``project_settings_update``: every setting, the task type left as it is."""
        arguments = super().service_arguments()
        del arguments["task_type"]
        return arguments
