from typing import Any

from rest_framework import serializers

from config.errors import DomainError
from datasets.serializers import FRAMEWORK_PARAMETERS


class TeamQuerySerializer(serializers.Serializer):
    version = serializers.CharField(
        required=False, allow_blank=True, help_text="the version whose agreement is read; the newest when left out"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields) - FRAMEWORK_PARAMETERS)
        if unknown:
            raise DomainError(f"unknown parameter {', '.join(unknown)}; known: {', '.join(sorted(self.fields))}")
        return attrs


class AnnotatorFiguresSerializer(serializers.Serializer):
    annotator = serializers.CharField()
    role = serializers.CharField(allow_null=True, help_text="null: no longer a member")
    done = serializers.IntegerField(help_text="items labeled, all time")
    done_today = serializers.IntegerField(help_text="items labeled since midnight (server time)")
    done_week = serializers.IntegerField(help_text="items labeled in the last seven days")
    weekly = serializers.ListField(child=serializers.IntegerField(), help_text="items labeled per week, as `weeks`")
    median_seconds = serializers.FloatField(
        allow_null=True, help_text="median gap between consecutive submits, pauses over 10 minutes left out"
    )
    agreement = serializers.FloatField(
        allow_null=True, help_text="how often the others on the same items chose the same (span F1 for spans)"
    )
    mean_kappa = serializers.FloatField(allow_null=True)
    items_compared = serializers.IntegerField(allow_null=True)
    gold_n = serializers.IntegerField()
    gold_accuracy = serializers.FloatField(allow_null=True)


class LabelDisagreementSerializer(serializers.Serializer):
    label = serializers.CharField()
    agreement = serializers.FloatField(allow_null=True, help_text="one-vs-rest alpha, or span F1 with overlap")
    uses = serializers.IntegerField(allow_null=True)


class TeamSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    weeks = serializers.ListField(child=serializers.DateField(), help_text="the Monday of each week, oldest first")
    annotators = AnnotatorFiguresSerializer(many=True)
    labels = LabelDisagreementSerializer(many=True, help_text="lowest agreement first: where the team disagrees")
    agreement_computed_at = serializers.DateTimeField(allow_null=True)
    agreement_fresh = serializers.BooleanField(help_text="false: the agreement figures are older than the labels")
    agreement_computing = serializers.BooleanField(help_text="a worker is bringing the agreement figures up to date")
