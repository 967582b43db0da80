"""The queue's uncertainty order, stored in ``ItemState.sort_key`` so a claim stays the one
indexed query it is (``labeling.claim_sql``: started, priority, then the sort key).

Under ``queue_order = uncertainty`` every key is the newest model's margin in thousandths
(4 digits, ``values.uncertainty_rank``) followed by the content hash, so the least sure items
come first after full overlap and priority, and items alike keep their stable random order;
items the model has no prediction for come last (9999). The default order is the bare hash.
The margin is computed in SQL, one set-based statement per refresh, mirroring ``values.uncertainty``.
"""

from django.db import connection

from datasets.models import Item
from labeling.models import ItemState, Prediction, PredictionSet
from labeling.suggestions.values import NO_PREDICTION_RANK, RANK_DIGITS
from projects.models import Project, QueueOrder

_STATE, _PREDICTION, _ITEM = ItemState._meta.db_table, Prediction._meta.db_table, Item._meta.db_table
HASH_LENGTH = 64


def _probabilities(vendor: str, column: str) -> str:
    """A stored prediction's probabilities: the list itself, or under a ``probabilities`` key."""
    if vendor == "postgresql":
        return f"coalesce({column} -> 'probabilities', {column})"
    return f"coalesce(json_extract({column}, '$.probabilities'), {column})"


def margin_sql(*, vendor: str, task_type: str, column: str = "p.probabilities") -> str:
    """``values.uncertainty`` in SQL over a prediction column; NULL where it is None."""
    if task_type not in ("classification", "image", "multilabel"):
        return "NULL"
    x = _probabilities(vendor, column)
    if vendor == "postgresql":
        if task_type == "multilabel":
            body = f"(SELECT min(abs(2 * e::float8 - 1)) FROM jsonb_array_elements_text({x}) e)"
        else:
            body = f"""(SELECT v[1] - coalesce(v[2], 0) FROM (
                SELECT array_agg(e::float8 ORDER BY e::float8 DESC) AS v FROM jsonb_array_elements_text({x}) e) t)"""
        return f"(CASE WHEN jsonb_typeof({x}) = 'array' THEN {body} END)"
    if task_type == "multilabel":
        body = f"(SELECT min(abs(2 * e.value - 1)) FROM json_each({x}) e)"
    else:
        body = f"""((SELECT max(e.value) FROM json_each({x}) e)
            - coalesce((SELECT e.value FROM json_each({x}) e ORDER BY e.value DESC LIMIT 1 OFFSET 1), 0))"""
    return f"(CASE WHEN json_type({x}) = 'array' THEN {body} END)"


def rank_sql(*, vendor: str, task_type: str) -> str:
    """``values.uncertainty_rank`` in SQL: the margin in thousandths, 4 digits; NULL without one."""
    margin = margin_sql(vendor=vendor, task_type=task_type)
    if vendor == "postgresql":
        digits = f"lpad(floor(least(greatest(m, 0), 1) * 1000)::int::text, {RANK_DIGITS}, '0')"
    else:
        digits = f"printf('%%0{RANK_DIGITS}d', CAST(min(max(m, 0), 1) * 1000 AS INTEGER))"
    return f"(SELECT {digits} FROM (SELECT {margin} AS m) r WHERE m IS NOT NULL)"


def _uncertainty_update(*, vendor: str, task_type: str, only_new: bool) -> str:
    """One set-based UPDATE: the new keys by joins (hash joins over the whole project, not two
    lookups per row), and only the rows whose key changes are written."""
    new_only = f" AND length(st.sort_key) = {HASH_LENGTH}" if only_new else ""
    return f"""
        UPDATE {_STATE} SET sort_key = fresh.sort_key
        FROM (
            SELECT st.item_id AS item_id, coalesce(r.rank, '{NO_PREDICTION_RANK}') || i.content_hash AS sort_key
            FROM {_STATE} st
            JOIN {_ITEM} i ON i.id = st.item_id
            LEFT JOIN (
                SELECT p.item_id AS item_id, {rank_sql(vendor=vendor, task_type=task_type)} AS rank
                FROM {_PREDICTION} p WHERE p.prediction_set_id = %(set)s
            ) r ON r.item_id = st.item_id
            WHERE st.project_id = %(project)s{new_only}
        ) AS fresh
        WHERE {_STATE}.item_id = fresh.item_id AND {_STATE}.sort_key <> fresh.sort_key
    """


_DEFAULT_ORDER = f"""
    UPDATE {_STATE} SET sort_key = (SELECT i.content_hash FROM {_ITEM} i WHERE i.id = {_STATE}.item_id)
    WHERE {_STATE}.project_id = %(project)s AND length({_STATE}.sort_key) <> {HASH_LENGTH}
"""


def queue_order_apply(*, project: Project, only_new: bool = False) -> int:
    """Store the project's queue order in its items' sort keys: one UPDATE; returns the rows it changed.

    ``only_new``: just the rows still holding a bare hash (items the queue has just taken in).
    Called when predictions arrive, when the order setting changes and when the queue grows.
    """
    params = {"project": project.pk}
    if project.queue_order == QueueOrder.UNCERTAINTY:
        params["set"] = (
            PredictionSet.objects.filter(project=project).order_by("-id").values_list("id", flat=True).first()
        )
        sql = _uncertainty_update(vendor=connection.vendor, task_type=project.task_type, only_new=only_new)
    elif only_new:
        return 0  # new rows hold the bare hash already
    else:
        sql = _DEFAULT_ORDER
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
