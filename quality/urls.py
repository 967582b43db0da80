from django.urls import path

from quality.augment import views as augment_views
from quality.leakage import views as leakage_views
from quality.pipeline import views as pipeline_views
from quality.reports import views as report_views
from quality.suites import views as suite_views

urlpatterns = [
    path("projects/<int:project_id>/", pipeline_views.project_detail, name="project-detail"),
    path("projects/<int:project_id>/versions/<int:number>/", augment_views.version_detail, name="version-detail"),
    path("projects/<int:project_id>/batches/", pipeline_views.batch_upload, name="batch-upload"),
    path("projects/<int:project_id>/suite/", suite_views.suite_edit, name="suite-edit"),
    path("projects/<int:project_id>/batches/<uuid:batch_id>/", pipeline_views.batch_results, name="batch-results"),
    path(
        "projects/<int:project_id>/versions/<int:number>/leakage/",
        leakage_views.version_leakage,
        name="version-leakage",
    ),
    path("projects/<int:project_id>/batches/<uuid:batch_id>/decide/", pipeline_views.batch_decide, name="batch-decide"),
    path("projects/<int:project_id>/versions/<int:number>/report/", report_views.report_page, name="version-report"),
    path(
        "projects/<int:project_id>/versions/<int:number>/report/freeze/",
        report_views.report_freeze,
        name="version-report-freeze",
    ),
    path(
        "projects/<int:project_id>/versions/<int:number>/report/note/",
        report_views.report_note,
        name="version-report-note",
    ),
    path("projects/<int:project_id>/versions/compare/", report_views.compare_page, name="version-compare"),
]
