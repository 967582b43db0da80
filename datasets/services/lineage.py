"""Recording where augmented items came from, as their batch is imported.

A batch row is augmented when it has an ``augmentation_method``; its ``source`` (the
source's external id) or ``source_item`` (its id) names the item it was made from. These
columns are lineage, not metadata: they are taken out of the row before it is written and
kept as an ``Augmentation`` beside the item, in the same transaction as the chunk.
"""

import json
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import Q

from datasets.files.reader import BatchFileError, ItemChunk, content_hashes
from datasets.lineage_columns import (
    CONFIG_HASH_COLUMN,
    JOB_COLUMN,
    LABEL_POLICY_COLUMN,
    LIBRARY_COLUMN,
    LIBRARY_VERSION_COLUMN,
    LINEAGE_COLUMNS,
    METHOD_COLUMN,
    PARAMS_COLUMN,
    SEED_COLUMN,
    SOURCE_ID_COLUMN,
    SOURCE_ITEM_COLUMN,
)
from datasets.models import Augmentation, Item, LabelPolicy, inherit_check_chosen
from projects.models import Project


@dataclass(frozen=True)
class LineageRow:
    """One augmented row of a chunk, its source resolved to an item id."""

    content_hash: str
    source_id: int
    method: str
    params: dict[str, Any]
    seed: int | None
    library: str
    library_version: str
    config_hash: str
    label_policy: str
    job_id: str | None


def chunk_lineage(*, project_id: int, batch_id: str, chunk: ItemChunk) -> tuple[ItemChunk, list[LineageRow]]:
    """The chunk without its lineage columns, and the lineage of its augmented rows.

    Raises ``BatchFileError`` naming the row when a source is not an item of the project or
    the parameters are not a JSON object, so the batch fails and nothing of it is kept.
    """
    if not pc.any(pc.match_substring(chunk.metadata_json, f'"{METHOD_COLUMN}"')).as_py():
        return chunk, []
    hashes = chunk.hashes if chunk.hashes is not None else content_hashes(chunk.content)
    records = [json.loads(text) for text in chunk.metadata_json.to_pylist()]
    wanted: list[tuple[int, dict[str, Any]]] = []
    for index, record in enumerate(records):
        lineage = {key: record.pop(key) for key in LINEAGE_COLUMNS if key in record}
        if lineage.get(METHOD_COLUMN) not in (None, ""):
            wanted.append((index, lineage))
        elif any(value not in (None, "") for value in lineage.values()):
            raise BatchFileError(f"row {chunk.first_row + index}: lineage columns without an {METHOD_COLUMN!r}")
    sources = _sources(project_id=project_id, batch_id=batch_id, wanted=wanted, first_row=chunk.first_row)
    rows = [_lineage_row(hashes[index], sources[index], lineage, chunk.first_row + index) for index, lineage in wanted]
    cleaned = pa.array([json.dumps(record, ensure_ascii=False) for record in records], pa.string())
    return replace(chunk, metadata_json=cleaned, hashes=hashes), rows


def _sources(
    *, project_id: int, batch_id: str, wanted: list[tuple[int, dict[str, Any]]], first_row: int
) -> dict[int, int]:
    """Row index -> source item id; items of accepted batches or of this one (written in an earlier chunk)."""
    by_id: dict[int, int] = {}
    by_external: dict[int, str] = {}
    for index, lineage in wanted:
        item = lineage.get(SOURCE_ITEM_COLUMN)
        external = lineage.get(SOURCE_ID_COLUMN)
        if item not in (None, ""):
            try:
                by_id[index] = int(item)
            except (TypeError, ValueError):
                raise BatchFileError(f"row {first_row + index}: {SOURCE_ITEM_COLUMN!r} must be an item id") from None
        elif external not in (None, ""):
            by_external[index] = str(external)
        else:
            raise BatchFileError(
                f"row {first_row + index}: an augmented row needs {SOURCE_ID_COLUMN!r} or {SOURCE_ITEM_COLUMN!r}"
            )
    visible = Item.objects.filter(Q(batch__version__isnull=False) | Q(batch_id=batch_id), project_id=project_id)
    known_ids = set(visible.filter(pk__in=set(by_id.values())).values_list("pk", flat=True))
    external_ids = dict(
        visible.filter(external_id__in=set(by_external.values()))
        .order_by("external_id", "pk")
        .values_list("external_id", "pk")
    )
    resolved: dict[int, int] = {}
    for index, _ in wanted:
        if index in by_id:
            if by_id[index] not in known_ids:
                raise BatchFileError(f"row {first_row + index}: source item {by_id[index]} is not in this project")
            resolved[index] = by_id[index]
        else:
            if by_external[index] not in external_ids:
                raise BatchFileError(f"row {first_row + index}: no item of this project has id {by_external[index]!r}")
            resolved[index] = external_ids[by_external[index]]
    return resolved


def _lineage_row(content_hash: str, source_id: int, lineage: dict[str, Any], row: int) -> LineageRow:
    params = lineage.get(PARAMS_COLUMN)
    if params in (None, ""):
        params = {}
    elif isinstance(params, str):
        try:
            params = json.loads(params)
        except json.JSONDecodeError:
            raise BatchFileError(f"row {row}: {PARAMS_COLUMN!r} is not JSON") from None
    if not isinstance(params, dict):
        raise BatchFileError(f"row {row}: {PARAMS_COLUMN!r} must be a JSON object")
    seed = lineage.get(SEED_COLUMN)
    try:
        seed = None if seed in (None, "") else int(seed)
    except (TypeError, ValueError):
        raise BatchFileError(f"row {row}: {SEED_COLUMN!r} must be an integer") from None
    policy = lineage.get(LABEL_POLICY_COLUMN) or LabelPolicy.RELABEL
    if policy not in LabelPolicy.values:
        raise BatchFileError(f"row {row}: {LABEL_POLICY_COLUMN!r} must be one of {', '.join(LabelPolicy.values)}")
    return LineageRow(
        content_hash=content_hash,
        source_id=source_id,
        method=str(lineage[METHOD_COLUMN])[:100],
        params=params,
        seed=seed,
        library=str(lineage.get(LIBRARY_COLUMN) or "")[:100],
        library_version=str(lineage.get(LIBRARY_VERSION_COLUMN) or "")[:50],
        config_hash=str(lineage.get(CONFIG_HASH_COLUMN) or "")[:64],
        label_policy=policy,
        job_id=str(lineage[JOB_COLUMN]) if lineage.get(JOB_COLUMN) else None,
    )


def lineage_record(*, project_id: int, batch_id: str, user_id: int, rows: list[LineageRow]) -> int:
    """Link the chunk's newly written augmented items to their sources; return how many.

    Rows whose content was already in the dataset were not written and get no lineage.
    Call in the chunk's transaction, after its items are written.
    """
    if not rows:
        return 0
    written = dict(
        Item.objects.filter(
            project_id=project_id, batch_id=batch_id, content_hash__in=[r.content_hash for r in rows]
        ).values_list("content_hash", "pk")
    )
    rows = [row for row in rows if row.content_hash in written and row.source_id != written[row.content_hash]]
    share = Project.objects.values_list("inherit_check_share", flat=True).get(pk=project_id)
    parents = {
        a.item_id: (a.root_id, a.generation)
        for a in Augmentation.objects.filter(item_id__in={row.source_id for row in rows})
    }
    augmentations, items = [], []
    for row in rows:
        root_id, generation = parents.get(row.source_id, (row.source_id, 0))
        item_id = written[row.content_hash]
        items.append(Item(pk=item_id, source_id=row.source_id))
        augmentations.append(
            Augmentation(
                item_id=item_id,
                root_id=root_id,
                generation=generation + 1,
                method=row.method,
                library=row.library,
                library_version=row.library_version,
                params=row.params,
                seed=row.seed,
                config_hash=row.config_hash,
                label_policy=row.label_policy,
                label_check=row.label_policy == LabelPolicy.INHERIT and inherit_check_chosen(row.content_hash, share),
                batch_id=batch_id,
                job_id=row.job_id,
                created_by_id=user_id,
            )
        )
    Item.objects.bulk_update(items, ["source"])
    Augmentation.objects.bulk_create(augmentations)
    return len(augmentations)
