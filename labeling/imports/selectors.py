"""Reading who the annotators named by an imported file are."""

from django.db.models import Q
from django.db.models.functions import Lower

from projects.models import Membership, Project


def annotators_match(*, project: Project, names: set[str]) -> tuple[dict[str, int], list[str]]:
    """Names (emails or usernames, either case) -> user ids of the project's members, and the names no member has."""
    wanted = {name.lower(): name for name in names if name}
    if not wanted:
        return {}, []
    members = (
        Membership.objects.filter(project=project)
        .annotate(email_key=Lower("user__email"), username_key=Lower("user__username"))
        .filter(Q(email_key__in=list(wanted)) | Q(username_key__in=list(wanted)))
        .order_by("user_id")
        .values_list("user_id", "email_key", "username_key")
    )
    matched: dict[str, int] = {}
    for user_id, email, username in members:
        for key in (username, email):
            if key in wanted and wanted[key] not in matched:
                matched[wanted[key]] = user_id
    unmatched = sorted(name for name in wanted.values() if name not in matched)
    return matched, unmatched
