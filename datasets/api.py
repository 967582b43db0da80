"""REST views for a project's data: versions, items, images. Parse input, call one selector or service."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_schema import error_responses
from datasets import selectors
from datasets.keyset import keyset_page
from datasets.models import DatasetVersion, Item, ItemImage
from datasets.serializers import (
    ImageSerializer,
    ImageUploadSerializer,
    ItemPageSerializer,
    ItemQuerySerializer,
    ItemSerializer,
    LineageSerializer,
    VersionSerializer,
)
from datasets.services import uploads
from projects.selectors import MANAGERS, ProjectAccess, project_access, project_get_for_user


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


class ItemListApi(APIView):
    """A version's items in id order, a keyset page at a time, filtered by what the data holds.

    Subclassed one floor up to add filters by label; ``query_serializer_class`` names every
    parameter, and ``items`` applies them.
    """

    query_serializer_class: type[ItemQuerySerializer] = ItemQuerySerializer

    @extend_schema(parameters=[ItemQuerySerializer], responses=ItemPageSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        access = project_access(user=request.user, project_id=project_id)
        project = access.project
        query = self.query_serializer_class(data=request.query_params, context={"project": project})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if params.get("version") in (None, ""):
            version = selectors.version_latest(project=project)
        else:
            try:
                version = selectors.version_get(project=project, number=int(params["version"]))
            except ValueError:
                raise Http404 from None
        if version is None:
            return Response({"count": 0, "next": None, "previous": None, "results": []})
        items, filtered = self.items(access=access, number=version.number, params=params)
        page = keyset_page(items, cursor=params.get("cursor"), size=params["page_size"], key=lambda item: item.pk)
        return Response(
            {
                "count": None if filtered else version.item_count,
                "next": self.link(request, page.next_cursor),
                "previous": self.link(request, page.previous_cursor),
                "results": ItemSerializer(page.rows, many=True).data,
            }
        )

    def items(self, *, access: ProjectAccess, number: int, params: dict[str, Any]) -> tuple[QuerySet[Item], bool]:
        """The version's items that pass the data filters, and whether any filter was given."""
        filters = selectors.ItemFilters(
            external_id=params.get("external_id"),
            metadata=params.get("metadata"),
            batch=params.get("batch"),
            text=params.get("q"),
            split=params.get("split"),
            augmented=None if params.get("augmented") is None else params["augmented"] == "true",
        )
        return selectors.items_filtered(project=access.project, number=number, filters=filters), filters.any

    @staticmethod
    def link(request: Request, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        query = request.query_params.copy()
        query["cursor"] = cursor
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class ImageListCreateApi(ListAPIView):
    """Images for image items: upload them here, then use each one's ``url`` in a batch's ``image`` column."""

    serializer_class = ImageSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller, no project
            return ItemImage.objects.none()
        project = project_get_for_user(user=self.request.user, project_id=self.kwargs["project_id"])
        return project.images.order_by("-created_at", "-pk")

    @extend_schema(request=ImageUploadSerializer, responses={201: ImageSerializer(many=True), **error_responses(413)})
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
