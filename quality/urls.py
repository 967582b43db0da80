from django.urls import path

from quality import views

urlpatterns = [
    path("projects/<int:project_id>/suite/", views.suite_edit, name="suite-edit"),
    path("projects/<int:project_id>/batches/<uuid:batch_id>/", views.batch_results, name="batch-results"),
    path("projects/<int:project_id>/batches/<uuid:batch_id>/decide/", views.batch_decide, name="batch-decide"),
]
