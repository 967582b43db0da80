"""Forms of the data pages: what a version page's query string may say."""

from django import forms

from config.errors import DomainError
from datasets.keyset import Cursor, cursor_parse


class VersionItemsForm(forms.Form):
    show = forms.ChoiceField(choices=[("", "all items"), ("added", "added in this version")], required=False)
    cursor = forms.CharField(required=False, max_length=40)

    def clean_cursor(self) -> Cursor | None:
        try:
            return cursor_parse(self.cleaned_data["cursor"])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
