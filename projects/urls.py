from django.urls import path

from projects import views

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("projects/new/", views.project_create, name="project-create"),
    path("projects/<int:project_id>/", views.project_detail, name="project-detail"),
    path("projects/<int:project_id>/members/", views.member_add, name="member-add"),
    path("projects/<int:project_id>/batches/", views.batch_upload, name="batch-upload"),
    path("projects/<int:project_id>/versions/<int:number>/", views.version_detail, name="version-detail"),
    path("projects/<int:project_id>/images/<str:name>", views.item_image, name="item-image"),
]
