from django.urls import path

from datasets import views

urlpatterns = [
    path("projects/<int:project_id>/images/<str:name>", views.item_image, name="item-image"),
]
