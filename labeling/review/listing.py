"""The disagreement queue: items ranked by least agreement (or label-issue score), filtered,
a page at a time with their annotations. Used by the API and the review page alike.

Reading only: the caller brings the ranking (and label-issue scores) it made fresh first.
"""

from dataclasses import dataclass, field
from typing import Any

from config.errors import DomainError
from labeling.models import ReviewResult
from labeling.review import selectors
from labeling.review.ranked import AGREED, RankedPage, queue_length, ranked_filtered_page, ranked_page, ranked_stored
from projects.models import Project

ORDERS = ("agreement", "label_issue")
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
YES, NO = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class DisagreementQuery:
    """The queue's filters and page, checked before anything is computed."""

    label: str | None = None
    annotator: str | None = None
    metadata: str | None = None
    order: str = "agreement"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    everything: bool = False  # items where everyone agreed too

    @property
    def kinds(self) -> tuple[str, ...]:
        """The cached results the listing reads, in the order to make them fresh."""
        return ("items", "label_issues") if self.order == "label_issue" else ("items",)

    @property
    def filtered(self) -> bool:
        return bool(self.label or self.annotator or self.metadata)


@dataclass
class DisagreementPage:
    count: int = 0
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    rows: list[dict[str, Any]] = field(default_factory=list)
    everything: bool = False
    filtered: bool = False
    count_exact: bool = True  # False: ``count`` is an estimate (a filtered queue of over 1,000 items)

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        """A next page: by the count when exact; an estimated one may be too high, so a short page ends."""
        return self.page < self.pages and (self.count_exact or len(self.rows) == self.page_size)


def positive_int(raw: str | None, *, name: str, default: int, maximum: int | None = None) -> int:
    if raw in (None, ""):
        return default
    try:
        number = int(raw)
    except ValueError:
        raise DomainError(f"{name} must be a whole number") from None
    if number < 1 or (maximum is not None and number > maximum):
        raise DomainError(f"{name} must be from 1 to {maximum}" if maximum else f"{name} must be at least 1")
    return number


def yes_or_no(raw: str | None, *, name: str) -> bool:
    value = (raw or "").strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise DomainError(f"{name} must be 1 or 0")


def disagreement_query(
    *,
    project: Project,
    label: str | None = None,
    annotator: str | None = None,
    metadata: str | None = None,
    order: str | None = None,
    page: str | None = None,
    page_size: str | None = None,
    everything: str | None = None,
) -> DisagreementQuery:
    order = order or "agreement"
    if order not in ORDERS:
        raise DomainError(f"order must be one of {', '.join(ORDERS)}")
    if label and label not in project.label_names:
        raise DomainError(f"label must be one of the project's labels: {', '.join(project.label_names)}")
    if metadata:
        selectors.metadata_filter(metadata)
    return DisagreementQuery(
        label=label or None,
        annotator=annotator or None,
        metadata=metadata or None,
        order=order,
        page=positive_int(page, name="page", default=1),
        page_size=positive_int(page_size, name="page_size", default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE),
        everything=yes_or_no(everything, name="all"),
    )


def disagreements(
    *,
    project: Project,
    version: int,
    query: DisagreementQuery,
    ranking: ReviewResult,
    issues: ReviewResult | None = None,
) -> DisagreementPage:
    """A page of the queue from the fresh ``ranking`` (kind ``items``) and, ordered by label
    issues, the fresh ``issues`` (kind ``label_issues``). Read a page of stored rows at a time
    (``ranked``), filtered or not, in either order; a result stored before its rows were kept
    is read whole."""
    filters = (
        selectors.item_conditions(
            project=project, label=query.label, annotator=query.annotator, metadata=query.metadata
        )
        if query.filtered
        else []
    )
    if query.order == "agreement" and ranked_stored(row=ranking):
        if not query.filtered:
            found = ranked_page(row=ranking, everything=query.everything, page=query.page, size=query.page_size)
        else:
            found = ranked_filtered_page(
                row=ranking, everything=query.everything, page=query.page, size=query.page_size, filters=filters
            )
        return _ranked_disagreements(found=found, query=query)
    if query.order == "label_issue" and issues is not None and ranked_stored(row=issues):
        # The same items as the agreement order's: unfiltered, that queue's length is the count.
        known = None
        if not query.filtered and ranked_stored(row=ranking):
            known = queue_length(row=ranking, everything=query.everything)
        found = ranked_filtered_page(
            row=issues,
            everything=query.everything,
            page=query.page,
            size=query.page_size,
            filters=filters,
            by_score=True,
            count=known,
        )
        return _ranked_disagreements(found=found, query=query)
    return _disagreements_from(
        project=project,
        version=version,
        query=query,
        ranking=ranking.result,
        issues=issues.result if issues is not None else None,
    )


def _ranked_disagreements(*, found: RankedPage, query: DisagreementQuery) -> DisagreementPage:
    items = selectors.items_with_annotations(item_ids=[entry.item_id for entry in found.rows])
    rows = [
        _row(
            item,
            agreement=entry.agreement,
            score=entry.score,
            consensus={"value": entry.consensus, "confidence": entry.confidence, "tie": entry.tie},
        )
        for entry in found.rows
        if (item := items.get(entry.item_id)) is not None  # None: gone since the ranking was computed
    ]
    return DisagreementPage(
        count=found.count,
        page=query.page,
        page_size=query.page_size,
        rows=rows,
        everything=query.everything,
        filtered=query.filtered,
        count_exact=found.exact,
    )


def _row(item: dict[str, Any], *, agreement: float, score: float | None, consensus: dict[str, Any]) -> dict[str, Any]:
    return {
        "item": {key: item[key] for key in ("id", "external_id", "data", "metadata")},
        "augmentation_method": item["augmentation_method"],
        "agreement": agreement,
        "label_issue_score": score,
        "annotations": item["annotations"],
        "consensus": consensus,
        "adjudication": item["adjudication"],
    }


def _disagreements_from(
    *,
    project: Project,
    version: int,
    query: DisagreementQuery,
    ranking: dict[str, Any],
    issues: dict[str, Any] | None = None,
) -> DisagreementPage:
    wanted = selectors.filtered_item_ids(
        project=project, version=version, label=query.label, annotator=query.annotator, metadata=query.metadata
    )
    scores: dict[str, float] = (issues or {}).get("scores") or {}
    positions = [
        index
        for index, (item_id, agreement) in enumerate(zip(ranking["item_ids"], ranking["agreement"], strict=True))
        if agreement is not None and (query.everything or agreement < AGREED) and (wanted is None or item_id in wanted)
    ]
    if query.order == "label_issue":
        positions.sort(key=lambda i: (scores.get(str(ranking["item_ids"][i]), 2.0), ranking["item_ids"][i]))
    else:
        positions.sort(key=lambda i: (ranking["agreement"][i], ranking["item_ids"][i]))
    size = query.page_size
    chosen = positions[(query.page - 1) * size : query.page * size]
    items = selectors.items_with_annotations(item_ids=[ranking["item_ids"][i] for i in chosen])
    rows = []
    for index in chosen:
        item_id = ranking["item_ids"][index]
        item = items.get(item_id)
        if item is None:  # gone since the ranking was computed
            continue
        consensus = {
            "value": ranking["consensus"][index],
            "confidence": ranking["confidence"][index],
            "tie": ranking["tie"][index],
        }
        rows.append(
            _row(item, agreement=ranking["agreement"][index], score=scores.get(str(item_id)), consensus=consensus)
        )
    return DisagreementPage(
        count=len(positions),
        page=query.page,
        page_size=size,
        rows=rows,
        everything=query.everything,
        filtered=query.filtered,
    )
