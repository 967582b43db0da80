"""REST views for projects: parse input, call one service or selector, shape output."""

from django.db.models import OuterRef, Subquery
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import selectors, services
from projects.models import DatasetVersion, Item, ItemImage, Membership, Project
from projects.serializers import (
    ImageSerializer,
    ImageUploadSerializer,
    ItemSerializer,
    MembershipSerializer,
    MembershipWriteSerializer,
    ProjectSerializer,
    ProjectWriteSerializer,
    VersionSerializer,
)


class ProjectListCreateApi(APIView):
    @extend_schema(responses=ProjectSerializer(many=True))
    def get(self, request: Request) -> Response:
        projects = selectors.with_latest_version(selectors.projects_for_user(request.user)).annotate(
            caller_role=Subquery(
                Membership.objects.filter(project=OuterRef("pk"), user=request.user).values("role")[:1]
            )
        )
        return Response(ProjectSerializer(projects, many=True).data)

    @extend_schema(request=ProjectWriteSerializer, responses={201: ProjectSerializer})
    def post(self, request: Request) -> Response:
        serializer = ProjectWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_create(user=request.user, **serializer.validated_data)
        project.caller_role = "manager"
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    def _get(self, request: Request, project_id: int, roles=None) -> Project:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=roles)
        latest = selectors.version_latest(project=project)
        project.latest_version_number = latest.number if latest else None
        project.latest_item_count = latest.item_count if latest else 0
        return project

    @extend_schema(responses=ProjectSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        return Response(ProjectSerializer(self._get(request, project_id)).data)

    @extend_schema(request=ProjectWriteSerializer, responses=ProjectSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        project = self._get(request, project_id, roles=selectors.MANAGERS)
        serializer = ProjectWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        project = services.project_update(project=project, **serializer.validated_data)
        return Response(ProjectSerializer(project).data)


class MemberListCreateApi(APIView):
    @extend_schema(responses=MembershipSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        return Response(MembershipSerializer(selectors.members_list(project=project), many=True).data)

    @extend_schema(request=MembershipWriteSerializer, responses={201: MembershipSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=selectors.MANAGERS)
        serializer = MembershipWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_set(project=project, **serializer.validated_data)
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, username: str) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=selectors.MANAGERS)
        services.membership_remove(project=project, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VersionListApi(ListAPIView):
    serializer_class = VersionSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller, no project
            return DatasetVersion.objects.none()
        project = selectors.project_get_for_user(user=self.request.user, project_id=self.kwargs["project_id"])
        return selectors.versions_list(project=project)


class VersionDetailApi(APIView):
    @extend_schema(responses=VersionSerializer)
    def get(self, request: Request, project_id: int, number: int) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        return Response(VersionSerializer(selectors.version_get(project=project, number=number)).data)


class ItemListApi(ListAPIView):
    serializer_class = ItemSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("version", int, description="dataset version number; the newest when left out"),
            OpenApiParameter("external_id", str, description="only items with this external id"),
        ]
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller, no project
            return Item.objects.none()
        project = selectors.project_get_for_user(user=self.request.user, project_id=self.kwargs["project_id"])
        number = self.request.query_params.get("version")
        if number is None:
            latest = selectors.version_latest(project=project)
            number = latest.number if latest else 0
        else:
            try:
                number = selectors.version_get(project=project, number=int(number)).number
            except ValueError:
                raise Http404 from None
        items = selectors.items_in_version(project=project, number=number)
        external_id = self.request.query_params.get("external_id")
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
        project = selectors.project_get_for_user(user=self.request.user, project_id=self.kwargs["project_id"])
        return project.images.order_by("-created_at", "-pk")

    @extend_schema(request=ImageUploadSerializer, responses={201: ImageSerializer(many=True)})
    def post(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=selectors.MANAGERS)
        stored = services.images_upload(project=project, user=request.user, files=request.FILES.getlist("file"))
        created = any(was_created for _, was_created in stored)
        return Response(
            ImageSerializer([image for image, _ in stored], many=True).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
