"""Shapes of the predictions API; rows themselves are checked by ``labeling.predictions.rows``."""

from rest_framework import serializers

from labeling.models import PredictionUpload, PredictionUploadStatus


class PredictionsWriteSerializer(serializers.Serializer):
    model = serializers.CharField(max_length=200, help_text="the model version's name")
    predictions = serializers.JSONField(
        help_text="[{item, probabilities}] (classification, image: one per label in the project's order, summing"
        " to 1; multilabel: each label's probability) or [{item, spans: [{start, end, label, score}]}] (spans)"
    )


class PredictionsFileSerializer(serializers.Serializer):
    model = serializers.CharField(max_length=200, help_text="the model version's name")
    file = serializers.FileField(help_text="JSONL: one prediction row a line, as in the JSON body")


class PredictionsStoredSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    model = serializers.CharField()
    count = serializers.IntegerField()
    status = serializers.ChoiceField(choices=PredictionUploadStatus.choices)


class PredictionUploadSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_name")

    class Meta:
        model = PredictionUpload
        fields = ["id", "model", "status", "progress", "rows_read", "error", "prediction_set", "created_at"]
        read_only_fields = fields


class ModelVersionSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=PredictionUploadStatus.choices)
    prediction_set = serializers.IntegerField(allow_null=True)
    upload = serializers.IntegerField(allow_null=True)
    progress = serializers.FloatField()
    error = serializers.CharField(allow_blank=True)
