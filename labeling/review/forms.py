"""The review page's forms: a reviewer's decision on one item, bound like the API's serializer
and worded the same (``services.decisions`` holds the messages); the label itself is checked
by the service, as for the API."""

from typing import Any

from django import forms

from labeling.review.services.decisions import COUNT_ERROR, MAX_NOTE, MAX_SEND_BACK, NOTE_ERROR, VALUE_REQUIRED
from projects.models import Project, TaskType

SPANS_ERROR = "spans must be a JSON list of {start, end, label}"
COUNT_ERRORS = {code: COUNT_ERROR for code in ("required", "invalid", "min_value", "max_value")}


class LabelListField(forms.Field):
    """Every value of a repeated field (the multi-label checkboxes), as a list of text."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        return [str(part) for part in value or []]


class ReviewDecisionForm(forms.Form):
    """Save the final label (``action=label``) or send the item back for more labels (``send_back``).

    ``value`` in ``cleaned_data`` is the label in the project's task type's shape: a label name,
    a list of names (multi-label) or a list of spans.
    """

    action = forms.ChoiceField(choices=[("label", "label"), ("send_back", "send_back")], required=False)
    label = forms.CharField(required=False, strip=False)
    labels = LabelListField(required=False)
    spans = forms.JSONField(required=False, error_messages={"invalid": SPANS_ERROR})
    note = forms.CharField(required=False, strip=False, max_length=MAX_NOTE, error_messages={"max_length": NOTE_ERROR})
    count = forms.IntegerField(required=False, min_value=1, max_value=MAX_SEND_BACK, error_messages=COUNT_ERRORS)
    query = forms.CharField(required=False, strip=False)  # the queue's filters, to return to them

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["action"] = data.get("action") or "label"
        if data["action"] == "send_back":
            data["count"] = 1 if data.get("count") is None else data["count"]
            return data
        task_type = self.project.task_type
        if task_type == TaskType.MULTILABEL:
            data["value"] = data.get("labels") or []
        elif task_type == TaskType.SPANS:
            spans = data.get("spans")
            data["value"] = [] if spans in (None, "") else spans
        elif data.get("label"):
            data["value"] = data["label"]
        elif "label" not in self.errors:
            self.add_error("label", VALUE_REQUIRED)
        return data

    def first_error(self) -> str:
        """The first message, for the one-line notice the page shows after redirecting."""
        for messages in self.errors.values():
            return str(messages[0])
        return ""
