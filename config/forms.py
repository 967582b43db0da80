"""Form pieces every page shares: a field that binds a repeated input, and one error sentence.

Forms coerce and bind what a page posts; the rules of the domain stay in the services,
whose ``DomainError`` messages the pages show as they are.
"""

from typing import Any

from django import forms
from django.utils.datastructures import MultiValueDict


class RepeatedInput(forms.Widget):
    """Reads every value posted under one name (``<input name="x">`` repeated), in order."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        if isinstance(data, MultiValueDict):
            return data.getlist(name)
        value = data.get(name)
        return list(value) if isinstance(value, list | tuple) else ([] if value is None else [value])


class RepeatedField(forms.Field):
    """The list of strings a repeated input posts; empty strings are kept so rows stay aligned."""

    widget = RepeatedInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        return [str(item) for item in value or []]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Every file posted under one name (images are uploaded several at once)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list:
        if isinstance(data, list | tuple):
            files = [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        else:
            files = [super().clean(data, initial)] if data else []
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


def sentence(message: str) -> str:
    """A service's message ("overlap must be ...") as the start of a sentence on a page."""
    return message[:1].upper() + message[1:]


def first_error(form: forms.Form) -> str:
    """The first thing wrong with a bound form, as one line for the page's messages."""
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "The form is not valid."
