"""The team page's stored counts: each annotator's annotations per day, up to a cut.

Counting a large project's annotations per annotator took 3-4 s at 3,000,000 annotations on
every view. Annotations are never deleted and keep their ``created_at``, so the counts of the
days before a cut stay true; the page adds the annotations made since (``selectors.work_counts``).
A worker takes the counts again once more than ``TAIL_REFRESH`` annotations came after the cut
(``refresh.team_counts_current``), so a view counts a short tail only.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from labeling.models import Annotation, TeamCounts
from projects.models import Project

TAIL_REFRESH = 25_000  # annotations after the cut past which a worker takes the counts again
# Counts end this long before they are taken: an annotation saved just before may commit after.
CUT_MARGIN = timedelta(minutes=10)
# A refresh asked for this long ago and not done is taken as lost (its worker died): ask again.
REFRESH_STUCK = timedelta(minutes=15)


def day_counts(annotations) -> dict[str, dict[str, int]]:
    """``{annotator id: {day: n}}`` of ``annotations``, days in the server's time zone."""
    rows = (
        annotations.annotate(day=TruncDate("created_at"))
        .values_list("annotator_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = {}
    for annotator_id, day, n in rows:
        counts.setdefault(str(annotator_id), {})[day.isoformat()] = n
    return counts


def team_counts_refresh(*, project: Project, now: datetime | None = None) -> TeamCounts:
    """Count the project's annotations per annotator and day again, up to a new cut, and store them.

    Safe to run twice, and two at once: the counts with the later cut are kept, never an older
    one over a newer; both are true up to their own cut."""
    moment = now or timezone.now()
    cut = moment - CUT_MARGIN
    counts = day_counts(Annotation.objects.filter(project=project, created_at__lt=cut))
    fields = {"cut": cut, "counts": counts, "refreshing_since": None, "computed_at": timezone.now()}
    older = TeamCounts.objects.filter(project=project, cut__lte=cut)
    if not older.update(**fields):
        try:
            with transaction.atomic():
                TeamCounts.objects.create(project=project, **fields)
        except IntegrityError:  # another run stored first, maybe with an earlier cut: ours go over those only
            older.update(**fields)
    return TeamCounts.objects.get(project=project)


def team_counts_refresh_claim(*, stored: TeamCounts, now: datetime | None = None) -> bool:
    """Mark ``stored`` as being taken again; False when a refresh is already under way (and not
    stuck), so that many views of a busy project hand the work to one worker, not to many."""
    moment = now or timezone.now()
    free = Q(refreshing_since__isnull=True) | Q(refreshing_since__lt=moment - REFRESH_STUCK)
    # Only the counts the view read: once a worker stored newer ones, there is nothing to ask for.
    mine = TeamCounts.objects.filter(pk=stored.pk, cut=stored.cut)
    return mine.filter(free).update(refreshing_since=moment) == 1
