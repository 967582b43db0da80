"""The page's form for a project's model settings; the service judges the values."""

from typing import Any

from django import forms

from projects.models import QueueOrder, Suggestions


class ModelSettingsForm(forms.Form):
    suggestions = forms.ChoiceField(choices=Suggestions.choices)
    holdout_percent = forms.FloatField(
        min_value=0, max_value=100, error_messages={"invalid": "The holdout is a percentage from 0 to 100."}
    )
    queue_order = forms.ChoiceField(choices=QueueOrder.choices)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "suggestions": data["suggestions"],
            "suggestion_holdout": data["holdout_percent"] / 100,
            "queue_order": data["queue_order"],
        }
