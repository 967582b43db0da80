"""The version page, with the sections of the top floor: the Augment form, its preview and its jobs."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from config.errors import DomainError
from datasets.models import DatasetVersion
from datasets.views import VERSION_TEMPLATE, version_context
from labeling.inherited import inherit_checks
from projects.selectors import MANAGERS, project_access_for_page
from quality.augment import selectors, services
from quality.augment.forms import GENERATE, AugmentForm


@login_required
@require_http_methods(["GET", "POST"])
def version_detail(request: HttpRequest, project_id: int, number: int) -> HttpResponse:
    """A version's facts and items; managers also see the Augment form (preview, then generate) and its jobs."""
    access = project_access_for_page(request, project_id, MANAGERS if request.method == "POST" else None)
    context = version_context(request, access=access, number=number)
    version: DatasetVersion = context["version"]
    form, preview = None, None
    if access.is_manager:
        form = AugmentForm(request.POST if request.method == "POST" else None, project=access.project)
        if request.method == "POST" and form.is_valid():
            try:
                if form.cleaned_data["action"] == GENERATE:
                    services.augmentation_job_start(
                        project=access.project,
                        user=request.user,
                        version=version.number,
                        label_policy=form.cleaned_data["label_policy"],
                        **form.request(),
                    )
                    return redirect(f"{request.path}#augment")
                preview = services.augmentation_preview(
                    project=access.project, version=version.number, **form.request()
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
    context.update(
        {
            "augment_form": form,
            "augment_preview": preview,
            "augment_jobs": selectors.jobs_of_version(version=version) if access.is_manager else [],
            "inherit_checks": inherit_checks(project=access.project) if context["augmentation_shares"] else [],
        }
    )
    status = 400 if form is not None and form.is_bound and form.errors else 200
    return render(request, VERSION_TEMPLATE, context, status=status)
