"""The disagreement queue: items ranked by least agreement (or label-issue score), filtered,
a page at a time with their annotations. Used by the API and the review page alike."""

from dataclasses import dataclass, field
from typing import Any

from config.errors import DomainError
from labeling.models import ReviewResult, ReviewResultStatus
from labeling.review import selectors, services
from projects.models import Project

ORDERS = ("agreement", "label_issue")
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 100


@dataclass
class DisagreementPage:
    status: str  # done | computing | failed
    count: int = 0
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    rows: list[dict[str, Any]] = field(default_factory=list)
    pending: ReviewResult | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))


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


def disagreements(
    *,
    project: Project,
    version: int,
    label: str | None = None,
    annotator: str | None = None,
    metadata: str | None = None,
    order: str | None = None,
    page: str | None = None,
    page_size: str | None = None,
) -> DisagreementPage:
    order = order or "agreement"
    if order not in ORDERS:
        raise DomainError(f"order must be one of {', '.join(ORDERS)}")
    page_number = positive_int(page, name="page", default=1)
    size = positive_int(page_size, name="page_size", default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    wanted = selectors.filtered_item_ids(
        project=project, version=version, label=label, annotator=annotator, metadata=metadata
    )
    ranking_row = services.review_result_get(project=project, version=version, kind="items")
    if ranking_row.status != ReviewResultStatus.DONE:
        return DisagreementPage(status=ranking_row.status, pending=ranking_row)
    ranking = ranking_row.result
    scores: dict[str, float] = {}
    if order == "label_issue":
        issues_row = services.review_result_get(project=project, version=version, kind="label_issues")
        if issues_row.status != ReviewResultStatus.DONE:
            return DisagreementPage(status=issues_row.status, pending=issues_row)
        scores = issues_row.result.get("scores") or {}
    positions = [
        index
        for index, (item_id, agreement) in enumerate(zip(ranking["item_ids"], ranking["agreement"], strict=True))
        if agreement is not None and (wanted is None or item_id in wanted)
    ]
    if order == "label_issue":
        positions.sort(key=lambda i: (scores.get(str(ranking["item_ids"][i]), 2.0), ranking["item_ids"][i]))
    else:
        positions.sort(key=lambda i: (ranking["agreement"][i], ranking["item_ids"][i]))
    chosen = positions[(page_number - 1) * size : page_number * size]
    items = selectors.items_with_annotations(item_ids=[ranking["item_ids"][i] for i in chosen])
    rows = []
    for index in chosen:
        item_id = ranking["item_ids"][index]
        item = items.get(item_id)
        if item is None:  # gone since the ranking was computed
            continue
        rows.append(
            {
                "item": {key: item[key] for key in ("id", "external_id", "data", "metadata")},
                "agreement": ranking["agreement"][index],
                "label_issue_score": scores.get(str(item_id)),
                "annotations": item["annotations"],
                "consensus": {
                    "value": ranking["consensus"][index],
                    "confidence": ranking["confidence"][index],
                    "tie": ranking["tie"][index],
                },
                "adjudication": item["adjudication"],
            }
        )
    return DisagreementPage(status="done", count=len(positions), page=page_number, page_size=size, rows=rows)
