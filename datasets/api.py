"""REST views for a project's data: versions, items, images. Parse input, call one selector or service."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from datasets import selectors
from datasets.models import DatasetVersion, Item, ItemImage
from datasets.selectors import SPLIT_FILTERS
from datasets.serializers import (
    ImageSerializer,
    ImageUploadSerializer,
    ItemQuerySerializer,
    ItemSerializer,
    LineageSerializer,
    VersionSerializer,
)
from datasets.services import uploads
from projects.selectors import MANAGERS, project_get_for_user


class VersionListApi(ListAPIView):
    serializer_class = VersionSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller, no project
            return DatasetVersion.objects.none()
        project = project_get_for_user(user=self.request.user, project_id=self.kwargs["project_id"])
        return selectors.versions_list(project=project)


class VersionDetailApi(APIView):
    @extend_schema(responses=VersionSerializer)
    def get(self, request: Request, project_id: int, number: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id)
        return Response(VersionSerializer(selectors.version_get(project=project, number=number)).data)


class ItemListApi(ListAPIView):
    serializer_class = ItemSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("version", int, description="dataset version number; the newest when left out"),
            OpenApiParameter("external_id", str, description="only items with this external id"),
            OpenApiParameter("split", str, enum=list(SPLIT_FILTERS), description="only this split's items"),
        ]
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller, no project
            return Item.objects.none()
        project = project_get_for_user(user=self.request.user, project_id=self.kwargs["project_id"])
        query = ItemQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        number = query.validated_data.get("version")
        if number is None:
            latest = selectors.version_latest(project=project)
            number = latest.number if latest else 0
        else:
            try:
                number = selectors.version_get(project=project, number=int(number)).number
            except ValueError:
                raise Http404 from None
        items = selectors.items_with_splits(project=project, number=number, split=query.validated_data.get("split"))
        external_id = query.validated_data.get("external_id")
        if external_id is not None:
            items = items.filter(external_id=external_id)
        return items


class ImageListCreateApi(ListAPIView):
    """Images for image items: upload them here, then use each one's ``url`` in a batch's ``image`` column."""

    serializer_class = ImageSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller, no project
            return ItemImage.objects.none()
        project = project_get_for_user(user=self.request.user, project_id=self.kwargs["project_id"])
        return project.images.order_by("-created_at", "-pk")

    @extend_schema(request=ImageUploadSerializer, responses={201: ImageSerializer(many=True)})
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGERS)
        stored = uploads.images_upload(project=project, user=request.user, files=request.FILES.getlist("file"))
        created = any(was_created for _, was_created in stored)
        return Response(
            ImageSerializer([image for image, _ in stored], many=True).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ItemLineageApi(APIView):
    """Where an item came from and what was made from it, with each step's method and parameters."""

    @extend_schema(responses=LineageSerializer)
    def get(self, request: Request, item_id: int) -> Response:
        return Response(LineageSerializer(selectors.item_lineage(user=request.user, item_id=item_id)).data)
