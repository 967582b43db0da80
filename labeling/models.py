"""The labeling queue and annotations.

- ``ItemState`` is the queue: one row per item of the project's versions, with the
  counters the queue orders and filters by. It is filled from new versions by
  ``queue_sync`` and changed only by the labeling services, in the same transaction
  as the assignment or annotation that changes it.
- ``Assignment`` is an item handed to one annotator: held under a lease, skipped, or
  done. One per (item, annotator), so nobody is given an item twice.
- ``Annotation`` is an annotator's current label of an item (one per item and
  annotator); every change is kept as an append-only ``AnnotationRevision``. Its ``origin``
  says whether a person gave it here or it came in with a batch file (and which).
- ``StagedLabel`` is a label read from a batch file while the batch imports, waiting for the
  batch's version: it becomes an annotation, a gold answer or a prediction with it, or nothing.
"""

import uuid

from django.conf import settings
from django.db import models

from datasets.models import Batch, Item
from projects.models import Project


class QueueSync(models.Model):
    """How far the queue of a project has taken in its versions."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, primary_key=True, related_name="queue_sync")
    version_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"queue of {self.project_id} at v{self.version_number}"


class ItemState(models.Model):
    item = models.OneToOneField(Item, on_delete=models.CASCADE, primary_key=True, related_name="state")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    submitted = models.PositiveIntegerField(default=0)  # annotations by distinct annotators
    held = models.PositiveIntegerField(default=0)  # live leases not yet submitted
    is_open = models.BooleanField(default=True)  # submitted + held < overlap + extra: labeling.queue_rule
    started = models.BooleanField(default=False)  # submitted + held > 0: finish these first
    priority = models.SmallIntegerField(default=0)
    extra = models.PositiveSmallIntegerField(default=0)  # annotations wanted beyond the overlap (sent back)
    # The content hash, a stable random order; under the uncertainty order the newest model's
    # margin (4 digits) comes before it: labeling.suggestions.uncertainty.
    sort_key = models.CharField(max_length=72)

    class Meta:
        indexes = [
            models.Index(
                fields=["project", "-started", "-priority", "sort_key"],
                condition=models.Q(is_open=True),
                name="itemstate_queue",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(submitted__gte=0, held__gte=0), name="itemstate_counts"),
        ]

    def __str__(self) -> str:
        return f"item {self.item_id}: {self.submitted} submitted, {self.held} held"


class AssignmentStatus(models.TextChoices):
    ACTIVE = "active"
    SKIPPED = "skipped"
    SUBMITTED = "submitted"


class Assignment(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="assignments")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ACTIVE)
    leased_until = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=500, blank=True, default="")
    # The model whose suggestion /next/ last served with this item (shown, or withheld to
    # measure anchoring); the submit copies it onto the annotation. No index: written on
    # every /next/, and only a rare prediction-set deletion looks rows up by it.
    suggestion_set = models.ForeignKey(
        "PredictionSet", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    suggestion_withheld = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "annotator"], name="assignment_once_per_annotator")]
        indexes = [
            models.Index(fields=["project", "annotator", "status"], name="assignment_annotator"),
            models.Index(fields=["project", "status", "leased_until"], name="assignment_lease"),
        ]

    def __str__(self) -> str:
        return f"item {self.item_id} to {self.annotator_id} ({self.status})"


class AnnotationOrigin(models.TextChoices):
    APP = "app"  # given by a person here: the labeling page, the review page or the API
    IMPORTED = "imported"  # came in with a batch file (``import_batch``)


class Annotation(models.Model):
    uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="annotations")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="annotations")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations")
    value = models.JSONField()
    revision = models.PositiveIntegerField(default=1)
    # The model suggestion that applied when the item was served (from the assignment, never the
    # client): its set and value, and whether it was on screen (False: withheld, or none).
    # No index of its own, as on the assignment: readers go by project.
    suggestion_set = models.ForeignKey(
        "PredictionSet", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    suggestion_value = models.JSONField(null=True, blank=True)
    suggestion_shown = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A database default too: the submit's raw INSERT names no origin and means "app".
    origin = models.CharField(
        max_length=10, choices=AnnotationOrigin.choices, default=AnnotationOrigin.APP, db_default=AnnotationOrigin.APP
    )
    import_batch = models.ForeignKey(Batch, on_delete=models.RESTRICT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="annotation_once_per_annotator"),
            models.CheckConstraint(
                condition=models.Q(origin="app", import_batch__isnull=True)
                | models.Q(origin="imported", import_batch__isnull=False),
                name="annotation_origin_names_its_batch",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "annotator", "-updated_at"], name="annotation_history"),
            # The team page: items done per annotator, today and per week, and the newest submits' pace.
            models.Index(fields=["project", "created_at", "annotator"], name="annotation_done"),
        ]

    def __str__(self) -> str:
        return f"{self.annotator_id} on item {self.item_id}: {self.value}"


class AnnotationRevision(models.Model):
    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    request_uuid = models.UUIDField(unique=True)
    value = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["annotation_id", "number"]
        constraints = [models.UniqueConstraint(fields=["annotation", "number"], name="revision_unique_number")]

    def __str__(self) -> str:
        return f"revision {self.number} of {self.annotation_id}"


class StagedLabelKind(models.TextChoices):
    ANNOTATION = "annotation"
    SKIP = "skip"  # a cancelled annotation: the annotator saw the item and gave no label
    GOLD = "gold"
    PREDICTION = "prediction"


class StagedLabel(models.Model):
    """A label of a batch file, written with its chunk of items and moved into the annotations,
    gold answers and predictions in the transaction that makes the batch's version.

    Nothing reads these but the import, so a batch holds no label in memory and a run that dies
    leaves rows nobody sees (the next run of the batch, or its failure, deletes them).
    """

    # The one index, (batch, kind, item), serves the batch's reads and each row's lookups.
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="+", db_index=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=10, choices=StagedLabelKind.choices)
    annotator_name = models.CharField(max_length=255, blank=True, default="")  # as the file names them
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+", db_index=False
    )
    model_name = models.CharField(max_length=200, blank=True, default="")
    value = models.JSONField(null=True)  # a label, a gold answer, or a prediction's probabilities
    uuid = models.UUIDField(default=uuid.uuid4)  # the annotation's, and its first revision's request
    created_at = models.DateTimeField(null=True)  # the file's, when it has them
    updated_at = models.DateTimeField(null=True)
    chosen = models.BooleanField(default=False)  # becomes an annotation or a skip: the last of its annotator's

    class Meta:
        indexes = [models.Index(fields=["batch", "kind", "item"], name="stagedlabel_batch")]

    def __str__(self) -> str:
        return f"{self.kind} of item {self.item_id} in batch {self.batch_id}"


# Review: adjudication, gold answers, model predictions and cached agreement -------


class AdjudicationAction(models.TextChoices):
    LABEL = "label"  # the reviewer settled the item's final label
    SEND_BACK = "send_back"  # the reviewer asked for more annotators


class Adjudication(models.Model):
    """A reviewer's decision on an item. Append-only: the newest ``label`` one is the item's final label."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="adjudications")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="adjudications")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=AdjudicationAction.choices, default=AdjudicationAction.LABEL)
    value = models.JSONField(null=True, blank=True)  # null for a send-back
    extra_labels = models.PositiveSmallIntegerField(default=0)  # annotators asked for by a send-back
    note = models.TextField(blank=True, default="", max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item_id", "id"]
        indexes = [models.Index(fields=["item", "-id"], name="adjudication_latest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action="send_back", value__isnull=True)
                | models.Q(action="label", value__isnull=False),
                name="adjudication_value_matches_action",
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} on item {self.item_id} by {self.reviewer_id}"


class GoldLabel(models.Model):
    """A known answer a manager planted; annotators' accuracy is measured on these items."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, primary_key=True, related_name="gold")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gold_labels")
    value = models.JSONField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"gold of item {self.item_id}: {self.value}"


class PredictionSet(models.Model):
    """One upload of a model's class probabilities; the newest feeds label-issue detection."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="prediction_sets")
    model_name = models.CharField(max_length=200)
    labels = models.JSONField()  # the project's label names when uploaded: the probabilities' order
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_id", "-id"]

    def __str__(self) -> str:
        return f"{self.model_name} on {self.project_id} ({self.count})"


class Prediction(models.Model):
    prediction_set = models.ForeignKey(PredictionSet, on_delete=models.CASCADE, related_name="predictions")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    # One per label in ``prediction_set.labels`` order: a distribution (classification, image) or
    # each label's own probability (multilabel); empty for spans.
    probabilities = models.JSONField()
    spans = models.JSONField(null=True, blank=True)  # spans: [{start, end, label, score}]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prediction_set", "item"], name="prediction_once_per_item")]

    def __str__(self) -> str:
        return f"prediction of item {self.item_id}"


class PredictionUploadStatus(models.TextChoices):
    QUEUED = "queued"
    VALIDATING = "validating"  # every row checked before anything is written
    WRITING = "writing"  # the whole set written in one transaction
    DONE = "done"
    FAILED = "failed"


class PredictionUpload(models.Model):
    """A predictions file being turned into a ``PredictionSet`` by a worker.

    The set appears only when every row is valid and written (one transaction), so a reader of
    prediction sets never sees half an upload; this row carries the job's progress and error.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="prediction_uploads")
    model_name = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=300)  # under MEDIA_ROOT
    status = models.CharField(
        max_length=10, choices=PredictionUploadStatus.choices, default=PredictionUploadStatus.QUEUED
    )
    progress = models.FloatField(default=0.0)
    rows_read = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    prediction_set = models.OneToOneField(
        PredictionSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="upload"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project_id", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=1), name="predictionupload_progress"
            )
        ]

    def __str__(self) -> str:
        return f"upload of {self.model_name} to {self.project_id} ({self.status})"


class ReviewResultStatus(models.TextChoices):
    COMPUTING = "computing"
    DONE = "done"
    FAILED = "failed"


class ReviewResult(models.Model):
    """A computed agreement report, consensus or label-issue ranking, cached per (project, version, kind).

    ``fingerprint`` describes the labels it was computed from (count and newest change of the
    annotations, newest adjudication, gold and predictions): a different fingerprint means stale.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=ReviewResultStatus.choices)
    result = models.JSONField(null=True, blank=True)
    # The few small parts of ``result`` a page shows (Dawid-Skene's confusion matrices beside every
    # item's posterior): read without the whole, which is megabytes at a million items.
    summary = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "version", "kind"], name="reviewresult_unique_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.project_id} v{self.version} ({self.status})"


class ExportJobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ExportJob(models.Model):
    """A version's export written to a file by a worker, for exports too large to wait for.

    ``filters`` are the items API's parameters as given (the selection); ``progress`` runs from
    0 to 1 through the version's ids; ``file`` is the storage name once the job is done.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="export_jobs")
    version = models.PositiveIntegerField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    format = models.CharField(max_length=20)
    layout = models.CharField(max_length=10, default="nested")
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ExportJobStatus.choices, default=ExportJobStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    items_written = models.PositiveBigIntegerField(default=0)
    file = models.CharField(max_length=300, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "version", "-created_at"], name="exportjob_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=1), name="exportjob_progress_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.format} export of {self.project_id} v{self.version} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (ExportJobStatus.QUEUED, ExportJobStatus.RUNNING)


class RankedItem(models.Model):
    """One item of a cached ranking (``ReviewResult`` of kind ``items``), at its place in the
    review queue's order: least agreement first, then item id. Items without an agreement (fewer
    than two annotations) are not ranked. A page of the queue is a range of ``rank``, and the
    disagreeing items are the ranks before the first agreed one, so a page reads its own rows
    rather than the whole ranking. A ranking of kind ``label_issues`` has the same rows in the
    queue's other order (``score``). Written with the result, in its transaction."""

    result = models.ForeignKey(ReviewResult, on_delete=models.CASCADE, related_name="+", db_index=False)
    rank = models.PositiveIntegerField()
    item_id = models.BigIntegerField()  # not a key: an item gone since is left out of the page
    agreement = models.FloatField()
    consensus = models.JSONField(null=True)
    confidence = models.FloatField(null=True)
    tie = models.BooleanField()
    # In a ranking of kind ``label_issues``: the item's label quality (None: no prediction). Those
    # rows follow (score, item id), unscored items last, the order of the queue by label issue.
    score = models.FloatField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["result", "rank"], name="rankeditem_rank")]
        indexes = [models.Index(fields=["result", "agreement", "item_id"], name="rankeditem_agreement")]

    def __str__(self) -> str:
        return f"item {self.item_id} at {self.rank} of result {self.result_id}"


class ResultSlice(models.Model):
    """``SLICE`` items of a cached consensus (``ReviewResult`` of kind ``items`` or
    ``dawid_skene``), from position ``start`` of its item order: ``rows`` holds the same keys as the
    result (``item_ids``, ``consensus``, ``confidence``, ``tie``) for those items only. A page of
    consensus reads one or two slices; the whole result is 56 MB of JSON at a million items, and
    PostgreSQL unpacks all of it to hand out any part. Written with the result, in its transaction."""

    result = models.ForeignKey(ReviewResult, on_delete=models.CASCADE, related_name="+", db_index=False)
    start = models.PositiveIntegerField()
    rows = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["result", "start"], name="resultslice_start")]

    def __str__(self) -> str:
        return f"items from {self.start} of result {self.result_id}"


class TeamCounts(models.Model):
    """Each annotator's annotations per day (the server's time zone) made before ``cut``: what
    the team page adds the newer ones to, so its counts read the annotations since ``cut``
    instead of the whole project's. Annotations are never deleted and their ``created_at``
    never changes, so counts before ``cut`` stay true."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="+")
    cut = models.DateTimeField()
    counts = models.JSONField(default=dict)  # {annotator id: {"YYYY-MM-DD": n}}
    computed_at = models.DateTimeField(auto_now=True)
    # When a view handed the counts to a worker to take again; None: no one is taking them.
    refreshing_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"team counts of {self.project_id} before {self.cut}"


class SelectionAction(models.TextChoices):
    SEND_BACK = "send_back"
    PRIORITY = "priority"


class SelectionJob(models.Model):
    """An action on the items an explorer's filters select, too many for a request, run by a
    worker in id-ordered chunks.

    ``filters`` are the explorer's filters as given; ``amount`` is the labels each item is sent
    back for, or the priority. ``last_item_id`` is the end of the chunks done: each chunk's
    changes, this cursor and the counts commit together, so a run that dies loses nothing and a
    rerun starts after it, counting nothing twice.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="selection_jobs")
    version = models.PositiveIntegerField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=SelectionAction.choices)
    amount = models.PositiveIntegerField()
    note = models.TextField(blank=True, default="")
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ExportJobStatus.choices, default=ExportJobStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    last_item_id = models.BigIntegerField(default=0)
    touched = models.PositiveBigIntegerField(default=0)
    refused = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"], name="selectionjob_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=1), name="selectionjob_progress_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} of a selection of {self.project_id} v{self.version} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (ExportJobStatus.QUEUED, ExportJobStatus.RUNNING)
