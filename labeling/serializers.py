from rest_framework import serializers

from labeling.models import AnnotationRevision

# The two below answer every /next/ and every submit. Declared field by field rather than as
# ModelSerializers, which build their fields from the model again for each response.


class QueueItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    external_id = serializers.CharField(read_only=True)
    data = serializers.JSONField(read_only=True)
    metadata = serializers.JSONField(read_only=True)


class AnnotationSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    item = serializers.IntegerField(source="item_id", read_only=True)
    annotator = serializers.CharField(source="annotator.username", read_only=True)
    value = serializers.JSONField(read_only=True)
    revision = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


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
