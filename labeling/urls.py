from django.urls import path

from labeling import views
from labeling.exports import views as export_views
from labeling.models_eval import views as models_eval_views
from labeling.project_settings import views as settings_views
from labeling.review import views as review_views
from labeling.suggestions import views as suggestion_views
from labeling.team import views as team_views

urlpatterns = [
    path("projects/<int:project_id>/label/", views.label_page, name="label"),
    path("projects/<int:project_id>/label/history/", views.history_page, name="label-history"),
    path("projects/<int:project_id>/label/history/entries/", views.history_entries, name="label-history-entries"),
    path("projects/<int:project_id>/review/", review_views.review_page, name="review"),
    path(
        "projects/<int:project_id>/review/items/<int:item_id>/adjudicate/",
        review_views.adjudicate,
        name="review-adjudicate",
    ),
    path("projects/<int:project_id>/agreement/", review_views.agreement_page, name="agreement"),
    path("projects/<int:project_id>/models/", models_eval_views.models_page, name="models"),
    path(
        "projects/<int:project_id>/models/<str:name>/evaluation/",
        models_eval_views.evaluation_page,
        name="model-evaluation",
    ),
    path("projects/<int:project_id>/settings/", settings_views.settings_page, name="project-settings"),
    path("projects/<int:project_id>/team/", team_views.team_page, name="team"),
    path("projects/<int:project_id>/versions/<int:number>/export/", export_views.export_page, name="version-export"),
    path("projects/<int:project_id>/model-settings/", suggestion_views.model_settings, name="model-settings"),
]
