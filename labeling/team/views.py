"""The team page, for managers and reviewers: the JSON API's figures, as tables and charts."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from config import charts
from config.errors import DomainError
from datasets.selectors import versions_list
from labeling.review.selectors import version_number
from labeling.team.agreement_cache import agreement_source
from labeling.team.refresh import team_counts_current
from labeling.team.selectors import team_report
from projects.selectors import REVIEWERS, project_for_page


@login_required
@require_GET
def team_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_for_page(request, project_id, roles=REVIEWERS)
    context = {
        "project": project,
        "versions": versions_list(project=project).values_list("number", flat=True),
        "api_url": reverse("api-team", args=[project.pk]) + ("?" + request.GET.urlencode() if request.GET else ""),
    }
    try:
        version = version_number(project=project, raw=request.GET.get("version"))
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "labeling/team.html", context, status=400)
    source = agreement_source(project=project, version=version)
    report = team_report(
        project=project,
        version=version,
        agreement=source.row,
        fresh=source.fresh,
        stored=team_counts_current(project=project),
    )
    with_agreement = [a for a in report.annotators if a.agreement is not None]
    with_gold = [a for a in report.annotators if a.gold_n]
    context.update(
        version=version,
        report=report,
        computing=source.computing,
        agreement_svg=charts.bar_chart(
            rows=[(a.annotator, a.agreement, f"({a.items_compared} compared)") for a in with_agreement],
            label="Each annotator's agreement with the others",
        )
        if with_agreement
        else None,
        gold_svg=charts.bar_chart(
            rows=[(a.annotator, a.gold_accuracy, f"({a.gold_n} gold)") for a in with_gold],
            label="Accuracy on gold items",
        )
        if with_gold
        else None,
        labels_svg=charts.bar_chart(
            rows=[(e.label, e.agreement, f"({e.uses} uses)" if e.uses is not None else "") for e in report.labels],
            low=-1.0,
            label="Agreement per label, lowest first",
        )
        if report.labels
        else None,
    )
    return render(request, "labeling/team.html", context)
