from typing import Any

from rest_framework import serializers

from datasets.models import Batch, BatchFormat
from datasets.selectors import batch_results_for


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
            "summary", "accepted_anyway", "decided_by", "decided_at", "decision_reason",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, instance: Batch) -> dict[str, Any]:
        """The batch as the caller's role (``context["role"]``) may see it: rows only for those who read them."""
        data = super().to_representation(instance)
        data["results"] = batch_results_for(results=data["results"] or [], role=self.context.get("role", ""))
        return data


class BatchUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    format = serializers.ChoiceField(choices=BatchFormat.choices, required=False)


class BatchDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000, trim_whitespace=True)
