"""Augmented items in: registered (made elsewhere) or generated here, always as an ordinary batch.

Both ways write a JSON Lines batch whose lineage columns (``datasets.lineage_columns``) the
importer records beside each item, so augmented items are validated, deduplicated and
versioned like any other. Checks run before anything is stored.
"""

import base64
import json
import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from config.errors import DomainError, TooLarge
from datasets import selectors as data_selectors
from datasets.lineage_columns import (
    CONFIG_HASH_COLUMN,
    JOB_COLUMN,
    LABEL_POLICY_COLUMN,
    LIBRARY_COLUMN,
    LIBRARY_VERSION_COLUMN,
    METHOD_COLUMN,
    PARAMS_COLUMN,
    SEED_COLUMN,
    SOURCE_ITEM_COLUMN,
)
from datasets.models import Batch, Item, LabelPolicy
from datasets.services import uploads
from labeling.exports.records import version_chunks
from labeling.models import Annotation
from labeling.review.selectors import final_labels
from projects.models import Project, TaskType
from quality.augment.augmenters import (
    IMAGE,
    LIBRARY,
    LIBRARY_VERSION,
    TEXT,
    AugmentError,
    ItemGenerators,
    Method,
    augment_image,
    augment_text,
    config_hash,
    content_key,
    item_rng,
    method_get,
    params_resolve,
)
from quality.models import AugmentationJob, AugmentationJobStatus
from quality.pipeline.services import batch_upload

logger = logging.getLogger(__name__)

MAX_REGISTER_ROWS = 10_000
MAX_GENERATED_ROWS = 1_000_000
PROGRESS_EVERY = 200
METADATA_KEY = re.compile(r"^[A-Za-z0-9_ .-]{1,100}$")


def content_kind(project: Project) -> str:
    return IMAGE if project.task_type == TaskType.IMAGE else TEXT


def project_method(project: Project, name: str) -> Method:
    """The method by name, if it fits the project's items (and keeps spans right for span projects)."""
    try:
        return method_get(name, content_kind(project), spans=project.task_type == TaskType.SPANS)
    except AugmentError as exc:
        raise DomainError(str(exc)) from None


def _method_and_params(project: Project, name: str, params: dict[str, Any] | None) -> tuple[Method, dict[str, Any]]:
    """The method and its parameters with the defaults filled in, or a 400 saying what is wrong."""
    chosen = project_method(project, name)
    try:
        return chosen, params_resolve(chosen, params)
    except AugmentError as exc:
        raise DomainError(str(exc)) from None


def _lines_upload(*, project: Project, user: AbstractBaseUser, name: str, lines: list[dict[str, Any]]) -> Batch:
    body = "".join(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines).encode()
    return batch_upload(project=project, user=user, uploaded=SimpleUploadedFile(name, body), fmt="jsonl")


# -- register ------------------------------------------------------------------------
def augmentations_register(*, project: Project, user: AbstractBaseUser, rows: list[dict[str, Any]]) -> Batch:
    """Queue augmented rows made elsewhere as a batch; every row's source must be an item of the project.

    ``rows`` as the serializer gives them: ``source_item``, ``data``, ``method``, ``params``,
    ``seed``, ``library``, ``library_version``, ``label_policy``.
    """
    if not rows:
        raise DomainError("send one or more items")
    if len(rows) > MAX_REGISTER_ROWS:
        raise TooLarge(f"{len(rows):,} items in one request; the limit is {MAX_REGISTER_ROWS:,}")
    column = project.content_column
    wanted = {row["source_item"] for row in rows}
    known = set(
        Item.objects.filter(project=project, pk__in=wanted, batch__version__isnull=False).values_list("pk", flat=True)
    )
    lines = []
    for number, row in enumerate(rows, start=1):
        if row["source_item"] not in known:
            raise DomainError(f"row {number}: source item {row['source_item']} is not an item of this project")
        content = row["data"].get(column)
        if not isinstance(content, str) or not content.strip():
            raise DomainError(f"row {number}: data needs a non-empty {column!r} string")
        lines.append(
            {
                **{k: v for k, v in row["data"].items() if k != column},
                column: content,
                SOURCE_ITEM_COLUMN: row["source_item"],
                METHOD_COLUMN: row["method"],
                PARAMS_COLUMN: row["params"],
                SEED_COLUMN: row.get("seed"),
                LIBRARY_COLUMN: row.get("library", ""),
                LIBRARY_VERSION_COLUMN: row.get("library_version", ""),
                CONFIG_HASH_COLUMN: config_hash(row["method"], row["params"]),
                LABEL_POLICY_COLUMN: row.get("label_policy") or LabelPolicy.RELABEL,
            }
        )
    return _lines_upload(
        project=project, user=user, name=f"augmented-{timezone.now():%Y%m%d-%H%M%S}.jsonl", lines=lines
    )


# -- generate ------------------------------------------------------------------------
def _filter_check(project: Project, item_filter: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(item_filter) - {"label", "metadata"})
    if unknown:
        raise DomainError(f"filter takes 'label' and 'metadata', not {', '.join(map(repr, unknown))}")
    metadata = item_filter.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise DomainError("filter.metadata must be an object of column: value")
    for key in metadata:
        # Keys become JSON lookups; "__" would let a key name a lookup of its own.
        if not METADATA_KEY.match(key) or "__" in key:
            raise DomainError(f"filter.metadata: {key!r} is not a column name")
    label = item_filter.get("label")
    if label is not None and label not in project.label_names:
        raise DomainError(f"filter.label: {label!r} is not a label of this project")
    return {k: v for k, v in (("label", label), ("metadata", metadata)) if v}


def augmentation_job_start(
    *,
    project: Project,
    user: AbstractBaseUser,
    version: int,
    method: str,
    params: dict[str, Any] | None,
    copies_per_item: int,
    seed: int,
    item_filter: dict[str, Any] | None,
    label_policy: str,
) -> AugmentationJob:
    """Check the request and queue its generation; the worker starts once this commits."""
    chosen, resolved = _method_and_params(project, method, params)
    source_version = data_selectors.version_get(project=project, number=version)
    if source_version.item_count * copies_per_item > MAX_GENERATED_ROWS:
        raise TooLarge(f"that would make more than {MAX_GENERATED_ROWS:,} items in one job")
    with transaction.atomic():
        job = AugmentationJob.objects.create(
            project=project,
            version=source_version,
            method=chosen.name,
            params=resolved,
            copies_per_item=copies_per_item,
            seed=seed,
            filter=_filter_check(project, item_filter or {}),
            label_policy=label_policy,
            created_by=user,
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: uuid.UUID) -> None:
    from quality.tasks import augmentation_generate

    try:
        augmentation_generate.delay(str(job_id))
    except Exception:  # the broker is down: the job stays queued and says so
        logger.exception("could not enqueue augmentation job %s", job_id)


def _sources(*, project: Project, number: int, item_filter: dict[str, Any]) -> QuerySet[Item]:
    items = data_selectors.items_in_version(project=project, number=number)
    metadata = item_filter.get("metadata") or {}
    if metadata:
        items = items.filter(Q(**{f"metadata__{key}": value for key, value in metadata.items()}))
    return items


def _has_label(final: Any, label: str) -> bool:
    return final == label or (isinstance(final, list) and label in final)


def _labelled(job: AugmentationJob, item_ids: set[int]) -> set[int]:
    """Of ``item_ids``, those whose final label is (or, multi-label, holds) the filter's label."""
    label = job.filter["label"]
    chosen: set[int] = set()
    for chunk in version_chunks(project=job.project, number=job.version.number):
        for record in chunk:
            if record["id"] in item_ids and _has_label(record["final"], label):
                chosen.add(record["id"])
    return chosen


def _made(
    *, project: Project, method: Method, params: dict[str, Any], content: str, rng: np.random.Generator
) -> tuple[str | bytes, dict[str, Any]]:
    """One augmented copy of one source: what the job stores and what the preview shows, from one code path.

    ``rng`` is ``item_rng(seed, content_key(source's content hash), copy)`` (or the same from ``ItemGenerators``).
    """
    if method.kind == IMAGE:
        return augment_image(method, _image_bytes(project, content), params, rng)
    return augment_text(method, content, params, rng)


def generated_rows(job: AugmentationJob, on_progress: Callable[[float], None] | None = None) -> list[dict[str, Any]]:
    """The job's batch rows, the same for the same job whatever the order or worker."""
    project = job.project
    method = project_method(project, job.method)
    column = project.content_column
    sources = list(
        _sources(project=project, number=job.version.number, item_filter=job.filter).values_list(
            "id", "data", "content_hash", "metadata"
        )
    )
    if job.filter.get("label"):
        keep = _labelled(job, {source[0] for source in sources})
        sources = [source for source in sources if source[0] in keep]
    common = {
        METHOD_COLUMN: method.name,
        SEED_COLUMN: job.seed,
        LIBRARY_COLUMN: LIBRARY,
        LIBRARY_VERSION_COLUMN: LIBRARY_VERSION,
        CONFIG_HASH_COLUMN: config_hash(method.name, job.params),
        LABEL_POLICY_COLUMN: job.label_policy,
        JOB_COLUMN: str(job.pk),
    }
    rows = []
    generators = ItemGenerators(job.seed, [content_key(source[2]) for source in sources], job.copies_per_item)
    for done, (item_id, data, _, metadata) in enumerate(sources, start=1):
        content = (data or {}).get(column)
        if not isinstance(content, str):
            continue
        for copy in range(job.copies_per_item):
            made, used = _made(
                project=project, method=method, params=job.params, content=content, rng=generators(done - 1, copy)
            )
            if isinstance(made, bytes):
                made = _image_keep(project, job, made, item_id, copy)
            # A copy keeps its source's metadata, so the suite, the slices and the filters see it as its source.
            rows.append(
                {
                    **(metadata or {}),
                    column: made,
                    SOURCE_ITEM_COLUMN: item_id,
                    PARAMS_COLUMN: {**used, "copy": copy},
                    **common,
                }
            )
        if on_progress and done % PROGRESS_EVERY == 0:
            on_progress(done / len(sources))
    return rows


# -- preview -------------------------------------------------------------------------
PREVIEW_SOURCES = 3
PREVIEW_COPIES = 2
PREVIEW_SCAN = 500


@dataclass(frozen=True)
class PreviewPair:
    """A source and one augmented copy exactly as the job would make it; images as PNG data URLs."""

    source_id: int
    external_id: str
    source: str
    augmented: str
    params: dict[str, Any]
    copy: int

    @property
    def params_json(self) -> str:
        return json.dumps(self.params, sort_keys=True)


def _final_labels_of(item_ids: list[int]) -> dict[int, Any]:
    values: dict[int, list[Any]] = defaultdict(list)
    for item_id, value in Annotation.objects.filter(item_id__in=item_ids).values_list("item_id", "value"):
        values[item_id].append(value)
    return {item_id: final for item_id, (final, _) in final_labels(item_ids=item_ids, annotations=values).items()}


def augmentation_preview(
    *,
    project: Project,
    version: int,
    method: str,
    params: dict[str, Any] | None,
    copies_per_item: int,
    seed: int,
    item_filter: dict[str, Any] | None,
    limit: int = PREVIEW_SOURCES,
) -> list[PreviewPair]:
    """A few sources that the request would augment, each beside its copies; nothing is stored.

    The same checks as ``augmentation_job_start`` and the same ``_made`` as the job, so what is
    shown is byte for byte what the job makes. Reads only the first items that match.
    """
    chosen, resolved = _method_and_params(project, method, params)
    data_selectors.version_get(project=project, number=version)
    checked = _filter_check(project, item_filter or {})
    column = project.content_column
    items = _sources(project=project, number=version, item_filter=checked)
    pairs: list[PreviewPair] = []
    shown = 0
    last_id = 0
    while shown < limit:
        page = list(
            items.filter(id__gt=last_id).values_list("id", "external_id", "data", "content_hash")[:PREVIEW_SCAN]
        )
        if not page:
            break
        last_id = page[-1][0]
        finals = _final_labels_of([row[0] for row in page]) if checked.get("label") else {}
        for item_id, external_id, data, content_hash in page:
            content = (data or {}).get(column)
            if not isinstance(content, str) or (
                checked.get("label") and not _has_label(finals[item_id], checked["label"])
            ):
                continue
            shown += 1
            for copy in range(min(copies_per_item, PREVIEW_COPIES)):
                made, used = _made(
                    project=project,
                    method=chosen,
                    params=resolved,
                    content=content,
                    rng=item_rng(seed, content_key(content_hash), copy),
                )
                if isinstance(made, bytes):
                    made = "data:image/png;base64," + base64.b64encode(made).decode()
                pairs.append(PreviewPair(item_id, external_id, content, made, {**used, "copy": copy}, copy))
            if shown == limit:
                break
    return pairs


def _image_bytes(project: Project, url: str) -> bytes:
    name = url.rsplit("/", 1)[-1]
    sha256, _, extension = name.partition(".")
    image = data_selectors.image_get(project=project, sha256=sha256, extension=extension)
    with image.file.open("rb") as handle:
        return handle.read()


def _image_keep(project: Project, job: AugmentationJob, png: bytes, item_id: int, copy: int) -> str:
    upload = SimpleUploadedFile(f"{item_id}-{job.method}-{copy}.png", png, content_type="image/png")
    [(image, _)] = uploads.images_upload(project=project, user=job.created_by, files=[upload])
    return image.url


def augmentation_job_run(*, job_id: str) -> AugmentationJob | None:
    """Generate the job's rows and queue them as a batch. Safe to run twice: a job with a batch is done."""
    with transaction.atomic():
        job = (
            AugmentationJob.objects.select_for_update()
            .select_related("project", "version", "created_by")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.status in (AugmentationJobStatus.BATCHED, AugmentationJobStatus.FAILED):
            return job
        job.status = AugmentationJobStatus.GENERATING
        job.save(update_fields=["status"])

    def report(fraction: float) -> None:
        AugmentationJob.objects.filter(pk=job.pk).update(progress=round(0.9 * fraction, 4))

    try:
        rows = generated_rows(job, on_progress=report)
        if not rows:
            raise DomainError("no item of the version matches the filter")
        with transaction.atomic():
            job = AugmentationJob.objects.select_for_update().select_related("project", "created_by").get(pk=job.pk)
            if job.batch_id is not None:
                return job
            job.batch = _lines_upload(
                project=job.project, user=job.created_by, name=f"augment-{job.method}-{job.pk}.jsonl", lines=rows
            )
            job.rows = len(rows)
            job.status = AugmentationJobStatus.BATCHED
            job.progress = 1.0
            job.finished_at = timezone.now()
            job.save()
    except (DomainError, AugmentError) as exc:
        _job_fail(job.pk, str(exc))
    except Exception as exc:
        logger.exception("augmentation job %s failed", job.pk)
        _job_fail(job.pk, f"unexpected error while generating: {exc}")
    return AugmentationJob.objects.get(pk=job.pk)


def _job_fail(job_id: uuid.UUID, message: str) -> None:
    AugmentationJob.objects.filter(pk=job_id).exclude(status=AugmentationJobStatus.BATCHED).update(
        status=AugmentationJobStatus.FAILED, error=message[:5000], finished_at=timezone.now()
    )
