from typing import Any

from rest_framework import serializers

from datasets.models import DatasetVersion
from quality.reports.selectors import ReportState


class ReportSerializer(serializers.Serializer):
    """The report of a version as the API answers it; ``report`` holds every section."""

    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["missing", "computing", "done", "failed"])
    stale = serializers.BooleanField()
    computed_at = serializers.DateTimeField(allow_null=True)
    frozen_at = serializers.DateTimeField(allow_null=True)
    frozen_by = serializers.CharField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    error = serializers.CharField(allow_blank=True)
    report = serializers.DictField(allow_null=True)


class ReportNoteSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, max_length=10_000, trim_whitespace=True)


def report_data(version: DatasetVersion, state: ReportState) -> dict[str, Any]:
    report = state.report
    return ReportSerializer(
        {
            "version": version.number,
            "status": state.status,
            "stale": state.stale,
            "computed_at": report.computed_at if report else None,
            "frozen_at": report.frozen_at if report else None,
            "frozen_by": report.frozen_by.username if report and report.frozen_by_id else None,
            "note": report.note if report else "",
            "error": report.error if report else "",
            "report": state.data,
        }
    ).data
