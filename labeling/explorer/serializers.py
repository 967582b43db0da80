from typing import Any

from rest_framework import serializers

from config.errors import DomainError
from datasets.serializers import ItemQuerySerializer
from labeling.explorer.sorting import DEFAULT_SORT, SORT_HELP, SORTS, sorted_cursor_parse


class ExplorerItemQuerySerializer(ItemQuerySerializer):
    """The items list's parameters, with the filters that read labels (reviewers and managers)
    and the sort orders an index serves."""

    label = serializers.CharField(required=False, max_length=200, help_text="items where someone gave this label")
    final = serializers.CharField(
        required=False, max_length=200, help_text="items whose final label (adjudicated, else majority) is this"
    )
    annotator = serializers.CharField(required=False, max_length=150, help_text="items this username annotated")
    disagreement = serializers.BooleanField(
        required=False, default=False, help_text="true: only items whose annotations are not all the same"
    )
    label_issue = serializers.BooleanField(
        required=False, default=False, help_text="true: only items the newest label-issue ranking flags"
    )
    sort = serializers.ChoiceField(
        choices=list(SORTS),
        required=False,
        default=DEFAULT_SORT,
        help_text=SORT_HELP,
        error_messages={"invalid_choice": f"unknown column '{{input}}'; sort by {SORT_HELP}"},
    )

    def validate_cursor(self, value: str) -> str:
        return value  # read with the sort order, in ``validate``

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        try:
            attrs["cursor"] = sorted_cursor_parse(attrs.get("cursor"), sort=attrs.get("sort", DEFAULT_SORT))
        except DomainError as exc:
            raise serializers.ValidationError({"cursor": [exc.message]}) from None
        return attrs
