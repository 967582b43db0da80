from django.urls import path

from labeling import views

urlpatterns = [
    path("projects/<int:project_id>/label/", views.label_page, name="label"),
    path("projects/<int:project_id>/label/history/", views.history_page, name="label-history"),
    path("projects/<int:project_id>/label/history/entries/", views.history_entries, name="label-history-entries"),
]
