"""Reading version reports: never computes, writes or queues (the services do)."""

from dataclasses import dataclass
from typing import Any

from datasets.models import DatasetVersion
from labeling.review.selectors import labels_fingerprint
from quality.models import ReportStatus, VersionReport


@dataclass(frozen=True)
class ReportState:
    """A version's report as a reader sees it."""

    report: VersionReport | None
    stale: bool

    @property
    def status(self) -> str:
        return self.report.status if self.report else "missing"

    @property
    def data(self) -> dict[str, Any] | None:
        return self.report.data if self.report else None


def report_state(*, version: DatasetVersion) -> ReportState:
    report = VersionReport.objects.filter(version=version).select_related("frozen_by").first()
    if report is None:
        return ReportState(report=None, stale=True)
    if report.is_frozen:
        return ReportState(report=report, stale=False)
    fingerprint, _ = labels_fingerprint(project=version.project, kind="report")
    return ReportState(report=report, stale=report.status != ReportStatus.DONE or report.fingerprint != fingerprint)


def diff_base(*, version: DatasetVersion) -> VersionReport | None:
    """What a version's report diffs against: the newest frozen report of an earlier version, else the parent's."""
    earlier = VersionReport.objects.filter(
        project_id=version.project_id, version__number__lt=version.number, status=ReportStatus.DONE
    ).select_related("version")
    frozen = earlier.filter(frozen_at__isnull=False).order_by("-version__number").first()
    if frozen is not None:
        return frozen
    return earlier.filter(version_id=version.parent_id).first() if version.parent_id else None
