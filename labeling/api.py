"""REST views for the labeling queue and annotations."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_schema import error_responses
from config.errors import DomainError
from datasets.selectors import version_latest
from labeling import selectors, services
from labeling.models import Annotation, AnnotationRevision
from labeling.serializers import (
    AnnotationReviseSerializer,
    AnnotationSerializer,
    AnnotationWriteSerializer,
    ProgressSerializer,
    QueueItemSerializer,
    RevisionSerializer,
    SkipSerializer,
    SuggestionSerializer,
    annotation_data,
    queue_item_data,
)
from labeling.suggestions.serve import suggestion_serve
from projects.models import Project
from projects.selectors import MANAGERS, ProjectAccess, project_access, project_get_for_user
from projects.serializers import ProjectSerializer, ProjectWriteSerializer


def _item_ids(request: Request, name: str) -> list[int]:
    raw = request.query_params.get(name, "")
    parts = [part for part in raw.split(",") if part.strip()]
    if len(parts) > services.MAX_HELD or not all(part.strip().isdigit() for part in parts):
        raise DomainError(f"{name} takes up to {services.MAX_HELD} item ids separated by commas")
    return [int(part) for part in parts]


class NextItemApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "exclude",
                str,
                description="ids of items the page already holds (comma-separated): prefetch the one after them",
            )
        ],
        responses={
            # The progress is its own endpoint: this one is asked all day and reads no counts.
            200: inline_serializer(
                "NextItem",
                {
                    "item": QueueItemSerializer(),
                    "suggestion": SuggestionSerializer(allow_null=True),
                    "suggestion_withheld": serializers.BooleanField(
                        help_text="a model suggestion exists but this item is labeled without it (the holdout)"
                    ),
                },
            ),
            204: OpenApiResponse(description="Nothing left for the caller in this project."),
            **error_responses(409, 503),
        },
    )
    def get(self, request: Request, project_id: int) -> Response:
        queue = selectors.queue_access(user=request.user, project_id=project_id)
        item = services.next_item(
            project=queue.access.project,
            user=request.user,
            exclude=_item_ids(request, "exclude"),
            versions=queue.versions,
        )
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        served = suggestion_serve(project=queue.access.project, user=request.user, item=item)
        return Response({"item": queue_item_data(item), **served.as_data()})


class ProgressApi(APIView):
    @extend_schema(responses=ProgressSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id)
        services.queue_catch_up(project=project)  # so "left" counts a version that arrived since
        return Response(selectors.annotator_progress(project=project, user=request.user))


class ItemAnnotationsApi(APIView):
    @extend_schema(responses=AnnotationSerializer(many=True))
    def get(self, request: Request, item_id: int) -> Response:
        found = selectors.item_access(user=request.user, item_id=item_id)
        annotations = selectors.annotations_of_item(found=found, user=request.user)
        return Response(AnnotationSerializer(annotations, many=True).data)

    @extend_schema(
        request=AnnotationWriteSerializer,
        responses={201: AnnotationSerializer, 200: AnnotationSerializer, **error_responses(409, 503)},
    )
    def post(self, request: Request, item_id: int) -> Response:
        item = selectors.item_get_for_user(user=request.user, item_id=item_id)
        serializer = AnnotationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        annotation, created = services.annotation_submit(
            item=item,
            user=request.user,
            request_uuid=serializer.validated_data["uuid"],
            value=serializer.validated_data["value"],
        )
        return Response(annotation_data(annotation), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ItemSkipApi(APIView):
    @extend_schema(
        request=SkipSerializer,
        responses={200: inline_serializer("Skipped", {"status": serializers.CharField()}), **error_responses(409, 503)},
    )
    def post(self, request: Request, item_id: int) -> Response:
        item = selectors.item_get_for_user(user=request.user, item_id=item_id)
        serializer = SkipSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignment = services.item_skip(item=item, user=request.user, reason=serializer.validated_data["reason"])
        return Response({"status": assignment.status})


class AnnotationDetailApi(APIView):
    @extend_schema(responses=AnnotationSerializer)
    def get(self, request: Request, annotation_uuid: str) -> Response:
        annotation = selectors.annotation_get_for_user(user=request.user, annotation_uuid=annotation_uuid)
        return Response(AnnotationSerializer(annotation).data)

    @extend_schema(request=AnnotationReviseSerializer, responses={200: AnnotationSerializer, **error_responses(409)})
    def put(self, request: Request, annotation_uuid: str) -> Response:
        annotation = selectors.annotation_get_for_user(user=request.user, annotation_uuid=annotation_uuid)
        serializer = AnnotationReviseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        annotation = services.annotation_revise(
            annotation=annotation,
            user=request.user,
            value=serializer.validated_data["value"],
            base_revision=serializer.validated_data["revision"],
            request_uuid=serializer.validated_data["uuid"],
        )
        return Response(AnnotationSerializer(annotation).data)


class AnnotationRevisionsApi(ListAPIView):
    serializer_class = RevisionSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller, no annotation
            return AnnotationRevision.objects.none()
        annotation = selectors.annotation_get_for_user(
            user=self.request.user, annotation_uuid=self.kwargs["annotation_uuid"]
        )
        return annotation.revisions.order_by("number")


class MyAnnotationsApi(ListAPIView):
    """The caller's own annotations in a project, newest change first."""

    serializer_class = AnnotationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller, no project
            return Annotation.objects.none()
        project = project_get_for_user(user=self.request.user, project_id=self.kwargs["project_id"])
        return selectors.annotation_history(project=project, user=self.request.user).select_related("annotator")


class ProjectSettingsApi(APIView):
    """A project and its settings. Changing labels or overlap is labeling's business (labels in use, the queue)."""

    @staticmethod
    def _data(project: Project, access: ProjectAccess) -> dict:
        latest = version_latest(project=project)
        context = {
            "role": access.role,
            "latest_version": latest.number if latest else None,
            "item_count": latest.item_count if latest else 0,
        }
        return ProjectSerializer(project, context=context).data

    @extend_schema(responses=ProjectSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        access = project_access(user=request.user, project_id=project_id)
        return Response(self._data(access.project, access))

    @extend_schema(request=ProjectWriteSerializer, responses={200: ProjectSerializer, **error_responses(409)})
    def patch(self, request: Request, project_id: int) -> Response:
        access = project_access(user=request.user, project_id=project_id, roles=MANAGERS)
        serializer = ProjectWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        project = services.project_settings_update(project=access.project, **serializer.validated_data)
        return Response(self._data(project, access))
