from rest_framework import serializers

from labeling.models import Adjudication, GoldLabel
from labeling.review.services.decisions import COUNT_ERROR, MAX_NOTE, MAX_SEND_BACK, NOTE_ERROR, VALUE_REQUIRED

COUNT_ERRORS = {code: COUNT_ERROR for code in ("invalid", "min_value", "max_value", "max_string_length")}


class AdjudicationWriteSerializer(serializers.Serializer):
    """``{value, note}`` settles the final label; ``{action: "send_back", count, note}`` asks for more labels."""

    action = serializers.ChoiceField(choices=["label", "send_back"], default="label")
    value = serializers.JSONField(required=False)
    note = serializers.CharField(
        max_length=MAX_NOTE,
        allow_blank=True,
        required=False,
        default="",
        trim_whitespace=False,
        error_messages={"max_length": NOTE_ERROR},
    )
    count = serializers.IntegerField(
        min_value=1, max_value=MAX_SEND_BACK, required=False, default=1, error_messages=COUNT_ERRORS
    )

    def validate(self, attrs):
        if attrs["action"] == "label" and "value" not in attrs:
            raise serializers.ValidationError({"value": VALUE_REQUIRED})
        return attrs


class AdjudicationSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id", read_only=True)
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)
    count = serializers.IntegerField(source="extra_labels", read_only=True)

    class Meta:
        model = Adjudication
        fields = ["id", "item", "action", "value", "note", "count", "reviewer", "created_at"]
        read_only_fields = fields


class GoldWriteSerializer(serializers.Serializer):
    value = serializers.JSONField()


class GoldSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id", read_only=True)
    set_by = serializers.CharField(source="set_by.username", read_only=True)

    class Meta:
        model = GoldLabel
        fields = ["item", "value", "set_by", "updated_at"]
        read_only_fields = fields


class ReviewAnnotationSerializer(serializers.Serializer):
    annotator = serializers.CharField()
    value = serializers.JSONField()
    updated_at = serializers.DateTimeField()


class ConsensusSerializer(serializers.Serializer):
    value = serializers.JSONField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    tie = serializers.BooleanField()


class DisagreementSerializer(serializers.Serializer):
    item = serializers.DictField()
    agreement = serializers.FloatField(allow_null=True)
    label_issue_score = serializers.FloatField(allow_null=True)
    annotations = ReviewAnnotationSerializer(many=True)
    consensus = ConsensusSerializer()
    adjudication = serializers.DictField(allow_null=True)


class DisagreementPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    count_exact = serializers.BooleanField(
        help_text="false when a filtered queue holds more than 1,000 items: count is then an estimate"
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DisagreementSerializer(many=True)


class ComputingSerializer(serializers.Serializer):
    """A result a worker is still computing (202), or whose computation failed (503)."""

    status = serializers.ChoiceField(choices=["computing", "failed"])
    started_at = serializers.DateTimeField(allow_null=True, required=False)
    detail = serializers.CharField(required=False)


class ConsensusRowSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    value = serializers.JSONField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    tie = serializers.BooleanField()


class ConsensusPageSerializer(serializers.Serializer):
    """A page of consensus rows; Dawid-Skene adds what it estimated about the labels and each annotator."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ConsensusRowSerializer(many=True)
    method = serializers.ChoiceField(choices=["majority", "dawid_skene"])
    labels = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="dawid_skene: the order of each matrix's rows and columns",
    )
    confusion = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.FloatField())),
        required=False,
        help_text="dawid_skene: per username, P(gives labels[g] | the true label is labels[t]) at [t][g]",
    )
    priors = serializers.ListField(
        child=serializers.FloatField(), required=False, help_text="dawid_skene: each label's estimated share"
    )
    iterations = serializers.IntegerField(required=False, help_text="dawid_skene: EM iterations run")
