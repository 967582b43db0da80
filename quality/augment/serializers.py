import json

from rest_framework import serializers

from datasets.models import LabelPolicy
from quality.models import AugmentationJob


class JsonObjectField(serializers.JSONField):
    """A JSON object: params given as text must parse, and must be an object."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise serializers.ValidationError("not JSON") from None
        if not isinstance(value, dict):
            raise serializers.ValidationError("must be a JSON object")
        return value


class RegisteredItemSerializer(serializers.Serializer):
    source_item = serializers.IntegerField(min_value=1)
    data = JsonObjectField()
    method = serializers.CharField(max_length=100)
    params = JsonObjectField(required=False, default=dict)
    seed = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**63 - 1)
    library = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    library_version = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    label_policy = serializers.ChoiceField(choices=LabelPolicy.choices, required=False, default=LabelPolicy.RELABEL)


class RegisterSerializer(serializers.Serializer):
    items = RegisteredItemSerializer(many=True, allow_empty=False)


class GenerateSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    method = serializers.CharField(max_length=100)
    params = JsonObjectField(required=False, default=dict)
    copies_per_item = serializers.IntegerField(min_value=1, max_value=100, default=1)
    seed = serializers.IntegerField(min_value=0, max_value=2**63 - 1, default=0)
    filter = JsonObjectField(required=False, default=dict)
    label_policy = serializers.ChoiceField(choices=LabelPolicy.choices, required=False, default=LabelPolicy.RELABEL)


class AugmentationJobSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    batch = serializers.SerializerMethodField()

    class Meta:
        model = AugmentationJob
        fields = [
            "id", "status", "progress", "error", "rows", "version", "method", "params", "copies_per_item",
            "seed", "filter", "label_policy", "batch", "created_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_batch(self, job: AugmentationJob) -> dict | None:
        batch = job.batch
        if batch is None:
            return None
        return {"id": str(batch.pk), "status": batch.status, "progress": batch.progress, "error": batch.error}
