"""Reads of the team page. Counts are the stored counts per day (``services``) plus the
annotations since, read from the ``annotation_done`` index; the pace reads only the newest
submits; agreement, per label and per annotator, comes from the cached agreement report
(``ReviewResult``), never recomputed here. A bounded number of queries whatever the project's size.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, FloatField, Func
from django.utils import timezone

from labeling.models import Annotation, ReviewResult, TeamCounts
from labeling.review.report import AgreementReport, LabelAgreement
from labeling.review.selectors import agreement_report
from labeling.team.pace import median_seconds_per_item
from labeling.team.services import day_counts
from projects.models import Project, Role

WEEKS = 6  # weeks of counts shown per annotator, this one included
PACE_SAMPLE = 10_000  # the project's newest submits the pace is read from


@dataclass(frozen=True)
class AnnotatorFigures:
    annotator: str
    role: str | None  # None: no longer a member
    done: int  # items labeled, all time
    done_today: int  # since midnight (the server's time zone)
    done_week: int  # in the last seven days
    weekly: list[int]  # items labeled per week, oldest first, as ``TeamReport.weeks``
    median_seconds: float | None
    agreement: float | None  # how often the others on the same items chose the same
    mean_kappa: float | None
    items_compared: int | None
    gold_n: int
    gold_accuracy: float | None


@dataclass(frozen=True)
class TeamReport:
    version: int
    weeks: list[date]  # the Monday of each week counted, oldest first
    annotators: list[AnnotatorFigures]
    labels: list[LabelAgreement]  # lowest agreement first: where the team disagrees
    agreement_computed_at: datetime | None  # None: no agreement report yet
    agreement_fresh: bool


def _week_starts(today: date) -> list[date]:
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=back) for back in range(WEEKS - 1, -1, -1)]


def _day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def work_counts(*, project: Project, now: datetime, stored: TeamCounts) -> tuple[list[date], dict[int, dict[str, Any]]]:
    """Per annotator id: done all time, today, in the last seven days, and per week.

    Days before ``stored.cut`` come from ``stored``; the annotations since are counted here, and
    so are the first day's of the seven-day window, which starts at this minute of that day."""
    today_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks = _week_starts(today_start.date())
    annotations = Annotation.objects.filter(project=project)
    days: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for part in (stored.counts, day_counts(annotations.filter(created_at__gte=stored.cut))):
        for annotator_id, per_day in part.items():
            for day, n in per_day.items():
                days[int(annotator_id)][date.fromisoformat(day)] += n
    week_start = now - timedelta(days=7)
    first_day = timezone.localtime(week_start).date()
    first_day_end = timezone.make_aware(datetime.combine(first_day + timedelta(days=1), datetime.min.time()))
    first_day_part = dict(
        annotations.filter(created_at__gte=week_start, created_at__lt=first_day_end)
        .values_list("annotator_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    position = {week: index for index, week in enumerate(weeks)}
    counts = {}
    for annotator_id, per_day in days.items():
        weekly = [0] * WEEKS
        for day, n in per_day.items():
            index = position.get(day - timedelta(days=day.weekday()))
            if index is not None:
                weekly[index] += n
        counts[annotator_id] = {
            "done": sum(per_day.values()),
            "today": sum(n for day, n in per_day.items() if day >= today_start.date()),
            "week": first_day_part.get(annotator_id, 0) + sum(n for day, n in per_day.items() if day > first_day),
            "weekly": weekly,
        }
    return weeks, counts


class EpochSeconds(Func):
    """A time as seconds since 1970, computed by PostgreSQL: 10,000 times read as Python
    datetimes took 140 ms, most of it making each one aware of its time zone."""

    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"


def pace(*, project: Project) -> dict[int, float]:
    """Median seconds per item of each annotator, over the project's newest submits."""
    newest = Annotation.objects.filter(project=project).order_by("-created_at")
    if connection.vendor == "postgresql":
        rows = list(newest.values_list("annotator_id", EpochSeconds("created_at"))[:PACE_SAMPLE])
    else:
        rows = [(who, when.timestamp()) for who, when in newest.values_list("annotator_id", "created_at")[:PACE_SAMPLE]]
    if not rows:
        return {}
    annotators = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    seconds = np.fromiter((row[1] for row in rows), dtype=np.float64, count=len(rows))
    return median_seconds_per_item(annotators, seconds)


def team_report(
    *, project: Project, version: int, agreement: ReviewResult | None, fresh: bool, stored: TeamCounts
) -> TeamReport:
    """The team's figures; ``agreement`` is the cached agreement report of ``version`` (its
    newest figures, possibly stale: ``fresh`` says), or None when none was ever computed;
    ``stored`` the counts before a cut (``services.team_counts_current``)."""
    now = timezone.now()
    weeks, counts = work_counts(project=project, now=now, stored=stored)
    medians = pace(project=project)
    report: AgreementReport | None = None
    if agreement is not None and agreement.result is not None:
        report = agreement_report(project=project, version=version, result=agreement.result)
    agreed = {entry.annotator: entry for entry in report.per_annotator} if report else {}
    roles = dict(project.memberships.values_list("user_id", "role"))
    ids = set(counts) | {user_id for user_id, role in roles.items() if role == Role.ANNOTATOR}
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    empty = {"done": 0, "today": 0, "week": 0, "weekly": [0] * WEEKS}
    annotators = []
    for user_id in sorted(ids, key=lambda pk: names.get(pk, "")):
        name = names.get(user_id, "")
        count, entry = counts.get(user_id, empty), agreed.get(name)
        annotators.append(
            AnnotatorFigures(
                annotator=name,
                role=roles.get(user_id),
                done=count["done"],
                done_today=count["today"],
                done_week=count["week"],
                weekly=count["weekly"],
                median_seconds=medians.get(user_id),
                agreement=entry.agreement if entry else None,
                mean_kappa=entry.mean_kappa if entry else None,
                items_compared=entry.computed.get("n_compared") if entry else None,
                gold_n=entry.gold_n if entry else 0,
                gold_accuracy=entry.gold_accuracy if entry else None,
            )
        )
    labels = sorted(
        report.per_label if report else [],
        key=lambda label: (label.agreement is None, label.agreement if label.agreement is not None else 0),
    )
    return TeamReport(
        version=version,
        weeks=weeks,
        annotators=annotators,
        labels=labels,
        agreement_computed_at=agreement.computed_at if agreement is not None and report else None,
        agreement_fresh=fresh and report is not None,
    )
