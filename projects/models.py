"""Projects and who may touch them: members, roles and the label schema.

The data (batches, items, versions) lives one floor up, in ``datasets``.
"""

from django.conf import settings
from django.db import models


class TaskType(models.TextChoices):
    CLASSIFICATION = "classification"
    MULTILABEL = "multilabel"
    SPANS = "spans"
    IMAGE = "image"


class LabelScale(models.TextChoices):
    NOMINAL = "nominal"
    ORDINAL = "ordinal"
    INTERVAL = "interval"


class Suggestions(models.TextChoices):
    """How the labeling page shows the newest model's suggestion."""

    OFF = "off"
    PRESELECT = "preselect"  # the suggested label is chosen already: Enter accepts it
    HINT = "hint"  # a marker beside the suggested label; nothing is chosen


class QueueOrder(models.TextChoices):
    DEFAULT = "default"  # a stable random order (the content hash)
    UNCERTAINTY = "uncertainty"  # the newest model's smallest margin first


class Role(models.TextChoices):
    MANAGER = "manager"
    REVIEWER = "reviewer"
    ANNOTATOR = "annotator"


class Project(models.Model):
    name = models.CharField(max_length=200)
    task_type = models.CharField(max_length=20, choices=TaskType.choices)
    # [{"name": "positive", "hotkey": "1", "color": "#2e7d32"}, ...]; the order is
    # the scale's order for ordinal and interval projects.
    labels = models.JSONField(default=list)
    label_scale = models.CharField(max_length=10, choices=LabelScale.choices, default=LabelScale.NOMINAL)
    overlap = models.PositiveSmallIntegerField(default=1)
    # Of augmented items that inherit their source's label, the share still sent to people, to
    # measure how often they agree with the inherited label (chosen by content hash, so stable).
    inherit_check_share = models.FloatField(default=0.05)
    guidelines = models.TextField(blank=True)
    suggestions = models.CharField(max_length=10, choices=Suggestions.choices, default=Suggestions.OFF)
    # The share of (item, annotator) pairs shown without the suggestion, to measure its pull.
    suggestion_holdout = models.FloatField(default=0.1)
    queue_order = models.CharField(max_length=12, choices=QueueOrder.choices, default=QueueOrder.DEFAULT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="projects")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(overlap__gte=1), name="project_overlap_positive"),
            models.CheckConstraint(
                condition=models.Q(inherit_check_share__gte=0, inherit_check_share__lte=1),
                name="project_inherit_check_share_range",
            ),
            models.CheckConstraint(
                condition=models.Q(suggestion_holdout__gte=0, suggestion_holdout__lte=1),
                name="project_suggestion_holdout_share",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def content_column(self) -> str:
        """The batch column that holds what is labeled."""
        return "image" if self.task_type == TaskType.IMAGE else "text"

    @property
    def label_names(self) -> list[str]:
        return [label["name"] for label in self.labels]


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_id", "user__username"]
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.project}"
