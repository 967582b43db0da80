"""The project settings page, for managers. Saving goes through the API's service, so a
label in use is refused with what holds it, and a new overlap reopens or closes items."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from config.errors import DomainError
from config.forms import first_error, sentence
from labeling import services
from labeling.project_settings.forms import ProjectSettingsForm
from projects.label_schema import PALETTE
from projects.markdown import render_markdown
from projects.models import LabelScale
from projects.selectors import MANAGERS, project_for_page


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = project_for_page(request, project_id, roles=MANAGERS)
    error = ""
    if request.method == "POST":
        form = ProjectSettingsForm(request.POST)
        if not form.redisplays():
            if not form.is_valid():
                error = first_error(form)
            else:
                try:
                    services.project_settings_update(project=project, **form.service_arguments())
                except DomainError as exc:
                    error = sentence(exc.message)
                else:
                    messages.success(request, "Settings saved.")
                    return redirect("project-settings", project_id=project.pk)
        project.refresh_from_db()  # a refused change leaves the project as stored
    else:
        form = ProjectSettingsForm.initial_for(project)
    context = {
        "project": project,
        "form": form,
        "error": error,
        "labels": form.label_rows(),
        "palette": PALETTE,
        "label_scales": LabelScale.choices,
        "guidelines_html": render_markdown(project.guidelines),
    }
    return render(request, "labeling/settings.html", context, status=400 if error else 200)
