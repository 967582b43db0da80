"""The label columns of an uploaded file, as a manager maps them on the project page."""

from django import forms

from labeling.imports.parse import LabelMapping


class LabelMappingForm(forms.Form):
    label_column = forms.CharField(required=False, max_length=255, label="Label column")
    annotator_column = forms.CharField(required=False, max_length=255, label="Annotator column")
    gold_column = forms.CharField(required=False, max_length=255, label="Gold column")
    unmatched = forms.ChoiceField(
        required=False,
        label="Annotators who are not members",
        choices=[
            ("", "refuse the file and name them"),
            ("add_as_annotators", "add them as annotators who never log in"),
            ("skip", "leave their labels out"),
        ],
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("annotator_column") and not data.get("label_column"):
            self.add_error("annotator_column", "name the label column its annotators gave")
        return data

    def mapping(self) -> LabelMapping:
        return LabelMapping.from_dict(self.cleaned_data)
