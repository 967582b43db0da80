"""The agreement report the team figures read: the cached one, brought up to date the way the
agreement dashboard does it (computed now for a small project, else handed to a worker)."""

from dataclasses import dataclass

from labeling.models import ReviewResult, ReviewResultStatus
from labeling.review import selectors as review_selectors
from labeling.review.services.refresh import review_result_refresh
from projects.models import Project


@dataclass(frozen=True)
class AgreementSource:
    row: ReviewResult | None  # holds the newest figures computed, if any
    fresh: bool
    computing: bool  # a worker is bringing the figures up to date


def agreement_source(*, project: Project, version: int) -> AgreementSource:
    if version == 0:
        return AgreementSource(row=None, fresh=False, computing=False)
    cached = review_selectors.review_result_cached(project=project, version=version, kind="agreement")
    if cached.fresh:
        return AgreementSource(row=cached.row, fresh=True, computing=False)
    row = review_result_refresh(project=project, version=version, cached=cached)
    done = row.status == ReviewResultStatus.DONE and row.fingerprint == cached.fingerprint
    return AgreementSource(row=row, fresh=done, computing=row.status == ReviewResultStatus.COMPUTING)
