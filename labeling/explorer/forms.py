"""Forms of the explorer pages: the filters (the items API's, by the same names) and a
reviewer's decision on an item."""

import json
import uuid
from typing import Any

from django import forms

from config.errors import DomainError
from datasets.models import Batch
from datasets.selectors import ItemFilters
from datasets.serializers import metadata_filter_parse
from labeling.explorer.selections import MAX_PRIORITY
from labeling.explorer.selectors import LabelFilters
from labeling.explorer.sorting import DEFAULT_SORT, SORTS, sorted_cursor_parse
from labeling.review.services import MAX_SEND_BACK
from projects.models import Project, TaskType

SORT_CHOICES = [
    (key, {"id": "item id", "-id": "item id, newest first", "external_id": "external id",
           "-external_id": "external id, descending"}[key])
    for key in SORTS
]  # fmt: skip


class ExplorerFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    metadata = forms.CharField(required=False, max_length=400, label="Metadata", help_text="key=value")
    label = forms.ChoiceField(required=False, label="Someone labeled")
    final = forms.ChoiceField(required=False, label="Final label")
    annotator = forms.CharField(required=False, max_length=150, label="Annotator")
    batch = forms.ChoiceField(required=False, label="Batch")
    disagreement = forms.BooleanField(required=False, label="Annotators disagree")
    label_issue = forms.BooleanField(required=False, label="Flagged as a label issue")
    sort = forms.ChoiceField(required=False, label="Sort by", choices=SORT_CHOICES)
    cursor = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def __init__(self, data: Any, *, project: Project, batches: list[Batch]) -> None:
        super().__init__(data)
        labels = [("", "any")] + [(name, name) for name in project.label_names]
        self.fields["label"].choices = labels
        self.fields["final"].choices = labels
        self.fields["batch"].choices = [("", "any")] + [
            (str(batch.pk), f"v{batch.version.number}: {batch.original_name}") for batch in batches
        ]
        self.fields["metadata"].widget.attrs["placeholder"] = "channel=email"
        self.fields["q"].widget.attrs["placeholder"] = "words in the text"

    def clean_metadata(self) -> tuple[str, str] | None:
        raw = self.cleaned_data["metadata"]
        if not raw:
            return None
        try:
            return metadata_filter_parse(raw)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_sort(self) -> str:
        return self.cleaned_data["sort"] or DEFAULT_SORT

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "sort" in data and "cursor" in data:
            try:
                data["cursor"] = sorted_cursor_parse(data["cursor"], sort=data["sort"])
            except DomainError as exc:
                self.add_error("cursor", exc.message)
        return data

    def data_filters(self) -> ItemFilters:
        data = self.cleaned_data
        batch = uuid.UUID(data["batch"]) if data["batch"] else None
        return ItemFilters(metadata=data["metadata"], batch=batch, text=data["q"] or None)

    def label_filters(self) -> LabelFilters:
        data = self.cleaned_data
        return LabelFilters(
            label=data["label"] or None,
            final=data["final"] or None,
            annotator=data["annotator"] or None,
            disagreement=data["disagreement"],
            label_issue=data["label_issue"],
        )


class AdjudicateForm(forms.Form):
    """A reviewer's final label, in the shape of the project's task type."""

    note = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data: Any = None, *, project: Project) -> None:
        super().__init__(data)
        self.project = project
        choices = [(name, name) for name in project.label_names]
        if project.task_type == TaskType.MULTILABEL:
            self.fields["labels"] = forms.MultipleChoiceField(
                choices=choices, required=False, widget=forms.CheckboxSelectMultiple
            )
        elif project.task_type == TaskType.SPANS:
            self.fields["spans"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 3}), help_text='[{"start": 0, "end": 4, "label": "..."}]'
            )
        else:
            self.fields["label"] = forms.ChoiceField(choices=choices, widget=forms.RadioSelect)
        self.order_fields(["label", "labels", "spans", "note"])

    def clean_spans(self) -> Any:
        try:
            return json.loads(self.cleaned_data["spans"])
        except json.JSONDecodeError:
            raise forms.ValidationError("spans must be a JSON list of {start, end, label}") from None

    def value(self) -> Any:
        for name in ("label", "labels", "spans"):
            if name in self.cleaned_data:
                return self.cleaned_data[name]
        return None


class SendBackForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=MAX_SEND_BACK, initial=1, label="More annotators")
    note = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class SelectionSendBackForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=MAX_SEND_BACK, initial=1, label="More annotators per item")
    note = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class SelectionPriorityForm(forms.Form):
    priority = forms.IntegerField(
        min_value=1,
        max_value=MAX_PRIORITY,
        initial=10,
        label="Priority",
        help_text="items of higher priority are handed out first; an item already higher keeps its own",
    )
