"""Reads the validation needs: a project's suite and settings, and a sample of its current version."""

import pandas as pd
from django.db.models import QuerySet

from datasets.files.reader import ID_COLUMN
from datasets.models import Item
from datasets.selectors import items_in_version, version_latest
from projects.models import Project
from quality.models import ValidationSuite
from quality.validation import CheckSettings

# Where a project's defaults differ from the engine's: a batch that brings a new metadata column,
# or leaves an optional one out, is common and harmless here (any column is metadata), so schema
# changes warn; a suite's column-type expectations are the way to make a type critical.
PROJECT_CHECK_DEFAULTS = {"schema_severity": "warning"}


def suite_get(*, project: Project) -> ValidationSuite | None:
    return ValidationSuite.objects.filter(project=project).select_related("updated_by").first()


def check_settings_from(data: object) -> CheckSettings:
    """Settings from stored or submitted JSON over the project defaults; SuiteError for a bad value."""
    if data is None:
        data = {}
    if isinstance(data, dict):
        data = {**PROJECT_CHECK_DEFAULTS, **data}
    return CheckSettings.from_dict(data)


def check_settings_for(*, stored: ValidationSuite | None) -> CheckSettings:
    return check_settings_from(stored.check_settings if stored else None)


def reference_items(*, project: Project) -> QuerySet[Item] | None:
    """Items of the newest version, or None before the first version."""
    latest = version_latest(project=project)
    if latest is None:
        return None
    return items_in_version(project=project, number=latest.number)


def reference_sample(*, project: Project, rows: int) -> pd.DataFrame | None:
    """At most ``rows`` items of the current version as a frame: content, ``id`` and metadata keys as columns.

    The sample is stable (the first items by content hash, which is as good as random and
    served by the unique index), so validating the same batch twice compares it to the same rows.
    Read with ``values_list``: no model instances, one query.
    """
    items = reference_items(project=project)
    if items is None:
        return None
    content = project.content_column
    values = list(
        items.order_by("content_hash").values_list(f"data__{content}", "external_id", "metadata")[: max(rows, 1)]
    )
    if not values:
        return None
    texts, external_ids, metadata = zip(*values, strict=True)
    frame = pd.DataFrame.from_records([m if isinstance(m, dict) else {} for m in metadata])
    frame.insert(0, content, list(texts))
    if any(external_ids):
        frame.insert(1, ID_COLUMN, [e or None for e in external_ids])
    return frame
