"""The shape of a model evaluation's answer, for the OpenAPI schema (the answer is built as a dict).

Figures depend on the task type: ``model``, ``human_level`` and each of ``annotators`` hold
accuracy, cohen_kappa and macro_f1 (classification, image), micro/macro F1, subset accuracy,
Hamming loss and per-label kappa (multilabel) or span-level precision, recall and F1 (spans),
each with its ``*_interval`` and a ``per_label`` list.
"""

from rest_framework import serializers

from projects.models import TaskType


class FiguresField(serializers.DictField):
    """One set of figures: ``n``, the task type's headline figures with ``*_interval``, ``per_label``."""


class ModelEvaluationSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["done"])
    computed_at = serializers.DateTimeField()
    task_type = serializers.ChoiceField(choices=TaskType.choices)
    model_name = serializers.CharField()
    prediction_set = serializers.IntegerField()
    labels = serializers.ListField(child=serializers.CharField())
    items_settled = serializers.IntegerField()
    items_evaluated = serializers.IntegerField()
    items_adjudicated = serializers.IntegerField()
    model = FiguresField(help_text="the model against the settled labels")
    human_level = FiguresField(help_text="every annotation against the adjudication, else the others' majority")
    annotators = serializers.ListField(child=serializers.DictField(), help_text="each annotator's figures")
    per_label_gap = serializers.ListField(child=serializers.DictField(), help_text="human-level F1 minus the model's")
    per_slice_gap = serializers.ListField(child=serializers.DictField(), help_text="per metadata value")
    confusion = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        allow_null=True,
        help_text="settled (rows) against predicted (columns); null for multilabel and spans",
    )
    label_confusion = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="multilabel, spans: tp, fp, fn (tn) per label"
    )
    disagreements = serializers.ListField(child=serializers.DictField())
    coverage = serializers.ListField(child=serializers.DictField(), help_text="empty for spans")
    coverage_curve = serializers.ListField(child=serializers.DictField())
    compare = serializers.DictField(allow_null=True, help_text="the other version's evaluation, with ?compare=")
