"""Projects, who may touch them, and their data: immutable versions of a set of items.

How the pieces relate (see the README's architecture section):

- Every item enters through a ``quality.Batch`` and points at it. A batch that is
  accepted gets exactly one ``DatasetVersion``; version *n* of a project holds the
  items of every batch whose version number is <= *n*. Versions form a chain, each
  the previous one plus one batch, so membership needs no per-version copy of the
  item list and creating a version touches one row, whatever its size.
- Items are immutable and unique per project by content hash. Labels (annotations,
  adjudications) point at items, not versions, so they carry over to every later
  version; they are append-only with timestamps, so a version's labels as of any
  moment can be reconstructed.
- Augmented items point at their ``source`` item, which keeps lineage inside the
  same table and the same version rules.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


class TaskType(models.TextChoices):
    CLASSIFICATION = "classification"
    MULTILABEL = "multilabel"
    SPANS = "spans"
    IMAGE = "image"


class LabelScale(models.TextChoices):
    NOMINAL = "nominal"
    ORDINAL = "ordinal"
    INTERVAL = "interval"


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
    guidelines = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="projects")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(overlap__gte=1), name="project_overlap_positive"),
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


class DatasetVersion(models.Model):
    """One immutable state of a project's dataset: the parent's items plus one batch's."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    item_count = models.PositiveIntegerField()
    added_count = models.PositiveIntegerField()
    duplicate_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="version_unique_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="version_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project} v{self.number}"


class Item(models.Model):
    """One thing to label. Rows are written in bulk by the batch importer (COPY on PostgreSQL)."""

    # No index of its own: the unique (project, content_hash) index serves project lookups,
    # and every index costs time on each row a batch writes.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items", db_index=False)
    batch = models.ForeignKey("quality.Batch", on_delete=models.PROTECT, related_name="items")
    external_id = models.CharField(max_length=255, blank=True, default="")
    data = models.JSONField()
    metadata = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    source = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="derived", db_index=False
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "content_hash"], name="item_unique_content"),
        ]
        # Partial: most items have no source, many no external id; those rows stay out of the index.
        indexes = [
            models.Index(
                fields=["project", "external_id"], name="item_external_id", condition=~models.Q(external_id="")
            ),
            models.Index(fields=["source"], name="item_source", condition=models.Q(source__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.external_id or f"item {self.pk}"


def item_image_path(instance: "ItemImage", filename: str) -> str:
    # Stored by content hash; the uploader's file name is kept only as a label.
    return f"images/{instance.project_id}/{instance.sha256[:2]}/{instance.sha256}.{instance.extension}"


class ItemImage(models.Model):
    """An image uploaded to a project, for image items to point at by its address.

    The server checks it is an image (Pillow) and serves it only to the project's members.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="images")
    sha256 = models.CharField(max_length=64)
    extension = models.CharField(max_length=5)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=255)
    file = models.FileField(upload_to=item_image_path, max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "sha256"], name="itemimage_unique_content")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"

    @property
    def url(self) -> str:
        return f"/projects/{self.project_id}/images/{self.sha256}.{self.extension}"
