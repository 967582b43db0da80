"""The project page's model settings form posts here: suggestions, their holdout, the queue order."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from config.errors import DomainError
from config.forms import first_error
from labeling.services import project_settings_update
from labeling.suggestions.forms import ModelSettingsForm
from projects.selectors import MANAGERS, RoleRequired, project_get_for_user


@login_required
@require_POST
def model_settings(request: HttpRequest, project_id: int) -> HttpResponse:
    try:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGERS)
    except RoleRequired:
        raise PermissionDenied("managers only") from None
    form = ModelSettingsForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("project-detail", project_id=project.pk)
    try:
        project = project_settings_update(project=project, **form.service_arguments())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Model suggestions {project.suggestions}, {project.suggestion_holdout:.0%} held out; "
            f"queue order {project.queue_order}.",
        )
    return redirect("project-detail", project_id=project.pk)
