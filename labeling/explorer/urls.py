from django.urls import path

from labeling.explorer import selection_views, views

urlpatterns = [
    path("projects/<int:project_id>/versions/<int:number>/items/", views.explorer_page, name="explorer"),
    path(
        "projects/<int:project_id>/versions/<int:number>/items/selection/",
        selection_views.selection_page,
        name="explorer-selection",
    ),
    path(
        "projects/<int:project_id>/versions/<int:number>/items/selection/<str:job_id>/",
        selection_views.selection_job_page,
        name="explorer-selection-job",
    ),
    path("items/<int:item_id>/", views.item_page, name="item-detail"),
    path("items/<int:item_id>/adjudicate/", views.item_adjudicate, name="item-adjudicate"),
    path("items/<int:item_id>/send-back/", views.item_send_back, name="item-send-back"),
]
