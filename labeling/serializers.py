from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from datasets.models import Augmentation, Item
from labeling.models import Annotation, AnnotationRevision

# The two below answer every /next/ and every submit. Declared field by field rather than as
# ModelSerializers, which build their fields from the model again for each response; and on
# those two requests their output is built by ``queue_item_data`` and ``annotation_data``.


class AugmentationMarkSerializer(serializers.Serializer):
    """An augmented item's mark where people label it (its method); null for an original."""

    method = serializers.CharField()


class QueueItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    external_id = serializers.CharField(read_only=True)
    data = serializers.JSONField(read_only=True)
    metadata = serializers.JSONField(read_only=True)
    augmentation = serializers.SerializerMethodField()

    @extend_schema_field(AugmentationMarkSerializer(allow_null=True))
    def get_augmentation(self, item: Item) -> dict[str, str] | None:
        return augmentation_mark(item)


class SuggestionSerializer(serializers.Serializer):
    """The newest model's suggestion for an item, as the labeling page shows it."""

    prediction_set = serializers.IntegerField(read_only=True)
    model = serializers.CharField(read_only=True)
    value = serializers.JSONField(read_only=True)
    confidence = serializers.FloatField(read_only=True, allow_null=True)
    mode = serializers.ChoiceField(choices=["preselect", "hint"], read_only=True)


class AnnotationSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    item = serializers.IntegerField(source="item_id", read_only=True)
    annotator = serializers.CharField(source="annotator.username", read_only=True)
    value = serializers.JSONField(read_only=True)
    revision = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


_TIMESTAMP = serializers.DateTimeField(read_only=True)


def augmentation_mark(item: Item) -> dict[str, str] | None:
    """How an augmented item is marked where people label it: its method. One indexed read, for augmented items only."""
    if item.source_id is None:
        return None
    method = Augmentation.objects.filter(item_id=item.pk).values_list("method", flat=True).first()
    return None if method is None else {"method": method}


def queue_item_data(item: Item) -> dict[str, Any]:
    """``QueueItemSerializer(item).data`` without a serializer: DRF deep-copies a serializer's
    fields for every instance, a tenth of a labeling request's CPU. Tests hold the two equal."""
    return {
        "id": item.pk,
        "external_id": item.external_id,
        "data": item.data,
        "metadata": item.metadata,
        "augmentation": augmentation_mark(item),
    }


def annotation_data(annotation: Annotation) -> dict[str, Any]:
    """``AnnotationSerializer(annotation).data`` without a serializer (see ``queue_item_data``)."""
    return {
        "uuid": str(annotation.uuid),
        "item": annotation.item_id,
        "annotator": annotation.annotator.username,
        "value": annotation.value,
        "revision": annotation.revision,
        "created_at": _TIMESTAMP.to_representation(annotation.created_at),
        "updated_at": _TIMESTAMP.to_representation(annotation.updated_at),
    }


class AnnotationWriteSerializer(serializers.Serializer):
    """``value`` is checked against the project's task type and labels by the service."""

    uuid = serializers.UUIDField()
    value = serializers.JSONField()


class AnnotationReviseSerializer(serializers.Serializer):
    value = serializers.JSONField()
    revision = serializers.IntegerField(min_value=1, help_text="the revision this change was made from")
    uuid = serializers.UUIDField(help_text="a new uuid for this change; the same again is a no-op")


class RevisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnnotationRevision
        fields = ["number", "value", "created_at"]


class SkipSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class ProgressSerializer(serializers.Serializer):
    done_today = serializers.IntegerField()
    done_total = serializers.IntegerField()
    left = serializers.IntegerField()
    skipped = serializers.IntegerField()
