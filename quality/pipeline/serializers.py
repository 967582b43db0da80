from typing import Any

from rest_framework import serializers

from datasets.models import Batch, BatchFormat
from datasets.selectors import batch_results_for
from labeling.imports.parse import UNMATCHED_CHOICES, LabelMapping


class BatchSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="project_id", read_only=True)
    version = serializers.IntegerField(source="version.number", allow_null=True, read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, read_only=True)

    class Meta:
        model = Batch
        fields = [
            "id", "project", "status", "stage", "progress", "error", "results", "version",
            "original_name", "format", "file_size", "file_sha256", "attempts",
            "rows_total", "rows_added", "rows_duplicate", "uploaded_by",
            "created_at", "started_at", "finished_at",
            "summary", "accepted_anyway", "decided_by", "decided_at", "decision_reason", "label_mapping",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, instance: Batch) -> dict[str, Any]:
        """The batch as the caller's role (``context["role"]``) may see it: rows only for those who read them."""
        data = super().to_representation(instance)
        data["results"] = batch_results_for(results=data["results"] or [], role=self.context.get("role", ""))
        return data


def _column() -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=255, trim_whitespace=True)


class BatchUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    format = serializers.ChoiceField(choices=BatchFormat.choices, required=False)
    label_column = _column()
    annotator_column = _column()
    gold_column = _column()
    unmatched = serializers.ChoiceField(choices=UNMATCHED_CHOICES, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("annotator_column") and not attrs.get("label_column"):
            raise serializers.ValidationError({"annotator_column": "name the label_column its annotators gave"})
        return attrs

    @staticmethod
    def label_mapping(data: dict) -> LabelMapping:
        return LabelMapping.from_dict(data)


class BatchDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000, trim_whitespace=True)
