from rest_framework import serializers

from datasets.serializers import ItemQuerySerializer


class ExplorerItemQuerySerializer(ItemQuerySerializer):
    """The items list's parameters, with the filters that read labels (reviewers and managers)."""

    label = serializers.CharField(required=False, max_length=200, help_text="items where someone gave this label")
    final = serializers.CharField(
        required=False, max_length=200, help_text="items whose final label (adjudicated, else majority) is this"
    )
    annotator = serializers.CharField(required=False, max_length=150, help_text="items this username annotated")
