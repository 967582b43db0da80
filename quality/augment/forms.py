"""The Augment form of the version page: the generation request of the API, field by field."""

from typing import Any

from django import forms

from config.errors import DomainError
from datasets.models import LabelPolicy
from datasets.serializers import metadata_filter_parse
from projects.models import Project, TaskType
from quality.augment.augmenters import Method, methods_for
from quality.augment.services import content_kind

PREVIEW, GENERATE = "preview", "generate"


def param_field_name(method: Method, param: str) -> str:
    return f"{method.name}__{param}"


class AugmentForm(forms.Form):
    """One number field per parameter of every method, preset to its default; only the chosen method's are read."""

    method = forms.ChoiceField()
    copies_per_item = forms.IntegerField(min_value=1, max_value=100, initial=1, label="Copies per item")
    seed = forms.IntegerField(min_value=0, max_value=2**63 - 1, initial=0)
    label = forms.ChoiceField(required=False, label="Only items whose final label is")
    metadata = forms.CharField(required=False, max_length=400, label="Only items with metadata", help_text="key=value")
    label_policy = forms.ChoiceField(
        choices=[
            (LabelPolicy.RELABEL, "relabel: the copies go to the labeling queue"),
            (LabelPolicy.INHERIT, "inherit: the copies carry their source's final label (a sample is still checked)"),
        ],
        initial=LabelPolicy.RELABEL,
        widget=forms.RadioSelect,
        label="Labels of the copies",
    )
    action = forms.ChoiceField(choices=[(PREVIEW, "Preview"), (GENERATE, "Generate")], widget=forms.HiddenInput)

    def __init__(self, data: Any = None, *, project: Project) -> None:
        super().__init__(data)
        self.methods = methods_for(content_kind(project), spans=project.task_type == TaskType.SPANS)
        self.fields["method"].choices = [(m.name, f"{m.name}: {m.description}") for m in self.methods]
        self.fields["label"].choices = [("", "any")] + [(name, name) for name in project.label_names]
        self.fields["metadata"].widget.attrs["placeholder"] = "channel=email"
        for method in self.methods:
            for param in method.params:
                field_class = forms.IntegerField if param.integer else forms.FloatField
                self.fields[param_field_name(method, param.name)] = field_class(
                    required=False,
                    min_value=param.low,
                    max_value=param.high,
                    initial=param.default,
                    label=param.name,
                    help_text=param.description,
                    widget=forms.NumberInput(attrs={"step": "1" if param.integer else "any"}),
                )

    def method_groups(self) -> list[tuple[Method, list[forms.BoundField]]]:
        """Each method with its parameter fields, for the template to show the chosen one's."""
        return [(m, [self[param_field_name(m, p.name)] for p in m.params]) for m in self.methods]

    def clean_metadata(self) -> tuple[str, str] | None:
        raw = self.cleaned_data["metadata"]
        if not raw:
            return None
        try:
            return metadata_filter_parse(raw)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def request(self) -> dict[str, Any]:
        """The cleaned form as the service's keyword arguments (a parameter left empty takes its default)."""
        data = self.cleaned_data
        method = next(m for m in self.methods if m.name == data["method"])
        params = {
            p.name: data[param_field_name(method, p.name)]
            for p in method.params
            if data.get(param_field_name(method, p.name)) is not None
        }
        item_filter: dict[str, Any] = {}
        if data["label"]:
            item_filter["label"] = data["label"]
        if data["metadata"]:
            key, value = data["metadata"]
            item_filter["metadata"] = {key: value}
        return {
            "method": method.name,
            "params": params,
            "copies_per_item": data["copies_per_item"],
            "seed": data["seed"],
            "item_filter": item_filter,
        }
