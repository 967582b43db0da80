"""The report as one self-contained HTML file: styles and charts inline, no request when it is opened."""

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from datasets.models import DatasetVersion
from quality.reports.presentation import page_context
from quality.reports.selectors import ReportState

STYLE = Path(settings.BASE_DIR) / "static" / "css" / "report.css"


def report_file(*, version: DatasetVersion, state: ReportState) -> str:
    context = {
        **page_context(state.data or {}),
        "project": version.project,
        "version": version,
        "state": state,
        "inline_css": STYLE.read_text(encoding="utf-8"),
        "offline": True,
    }
    return render_to_string("quality/reports/file.html", context)
