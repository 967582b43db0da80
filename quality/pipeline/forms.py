"""The pages' forms of the batch pipeline: an upload and a manager's decision."""

from django import forms

from config.forms import MultipleFileField
from labeling.imports.forms import LabelMappingForm

DECISIONS = [("accept", "Accept anyway"), ("reject", "Reject"), ("revalidate", "Validate again")]


class BatchUploadForm(LabelMappingForm):
    """One batch file, or several images; which is which, and the limits, the services decide.

    The file's label columns, if it has any, come with it (``mapping()``).
    """

    file = MultipleFileField(error_messages={"required": "Choose a file to upload."})


class BatchDecideForm(forms.Form):
    """What a manager decided about a quarantined or rejected batch; the reason's rules are the service's."""

    action = forms.ChoiceField(
        choices=DECISIONS, error_messages={"required": "Unknown action.", "invalid_choice": "Unknown action."}
    )
    reason = forms.CharField(required=False, strip=False)
