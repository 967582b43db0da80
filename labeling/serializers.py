from rest_framework import serializers

from labeling.models import Annotation, AnnotationRevision
from projects.models import Item


class QueueItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "external_id", "data", "metadata"]


class AnnotationSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id", read_only=True)
    annotator = serializers.CharField(source="annotator.username", read_only=True)

    class Meta:
        model = Annotation
        fields = ["uuid", "item", "annotator", "value", "revision", "created_at", "updated_at"]
        read_only_fields = fields


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
