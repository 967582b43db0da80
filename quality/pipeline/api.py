"""REST views for batches."""

from collections.abc import Callable

from django.conf import settings
from django.http import FileResponse, Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_schema import error_responses
from config.errors import TooLarge
from datasets import selectors as data_selectors
from datasets.models import Batch
from datasets.selectors import ROW_READERS
from projects.selectors import MANAGERS, project_access, project_get_for_user
from quality.pipeline import decisions as decision_services
from quality.pipeline import services
from quality.pipeline.serializers import BatchDecisionSerializer, BatchSerializer, BatchUploadSerializer

UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and headers around the file


class BatchListCreateApi(ListAPIView):
    serializer_class = BatchSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller, no project
            return Batch.objects.none()
        self.access = project_access(user=self.request.user, project_id=self.kwargs["project_id"])
        return data_selectors.batches_for_project(project=self.access.project)

    def get_serializer_context(self) -> dict:
        access = getattr(self, "access", None)
        return {**super().get_serializer_context(), "role": access.role if access else ""}

    @extend_schema(
        request=BatchUploadSerializer,
        responses={
            202: inline_serializer("BatchQueued", {"id": serializers.UUIDField(), "status": serializers.CharField()}),
            **error_responses(413),
        },
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGERS)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.GROUNDWORK_MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD:
            raise TooLarge(f"the upload is {length:,} bytes; the limit is {settings.GROUNDWORK_MAX_UPLOAD_BYTES:,}")
        serializer = BatchUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = services.batch_upload(
            project=project,
            user=request.user,
            uploaded=serializer.validated_data["file"],
            fmt=serializer.validated_data.get("format"),
            label_mapping=BatchUploadSerializer.label_mapping(serializer.validated_data),
        )
        return Response({"id": str(batch.pk), "status": batch.status}, status=status.HTTP_202_ACCEPTED)


class BatchDetailApi(APIView):
    @extend_schema(responses=BatchSerializer)
    def get(self, request: Request, batch_id: str) -> Response:
        found = data_selectors.batch_access(user=request.user, batch_id=batch_id)
        return Response(BatchSerializer(found.batch, context={"role": found.access.role}).data)


class BatchFileApi(APIView):
    """The uploaded file, always as an opaque download: never rendered, whatever its name; for those who read rows."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, batch_id: str) -> FileResponse:
        batch = data_selectors.batch_get_for_user(user=request.user, batch_id=batch_id, roles=ROW_READERS)
        try:
            handle = batch.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(handle, as_attachment=True, filename=f"batch-{batch.pk}.{batch.format}")
        response["Content-Type"] = "application/octet-stream"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        return response


class _BatchDecisionApi(APIView):
    """A manager's decision on a quarantined batch; answers the batch as ``GET`` shows it.

    Each subclass names its service as ``decide(batch, reason, user)``.
    """

    decide: Callable[[Batch, str, object], Batch]

    @extend_schema(request=BatchDecisionSerializer, responses={200: BatchSerializer, **error_responses(409)})
    def post(self, request: Request, batch_id: str) -> Response:
        batch = data_selectors.batch_get_for_user(user=request.user, batch_id=batch_id, roles=MANAGERS)
        serializer = BatchDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = self.decide(batch, serializer.validated_data.get("reason", ""), request.user)
        found = data_selectors.batch_access(user=request.user, batch_id=str(batch.pk))
        return Response(BatchSerializer(found.batch, context={"role": found.access.role}).data)


class BatchAcceptApi(_BatchDecisionApi):
    """Accept a quarantined batch anyway (``reason`` required): it is imported without validating again."""

    def decide(self, batch: Batch, reason: str, user) -> Batch:
        return decision_services.batch_accept_anyway(batch=batch, user=user, reason=reason)


class BatchRejectApi(_BatchDecisionApi):
    """Reject a quarantined batch (``reason`` optional): nothing of it joins the dataset."""

    def decide(self, batch: Batch, reason: str, user) -> Batch:
        return decision_services.batch_reject(batch=batch, user=user, reason=reason)


class BatchRevalidateApi(_BatchDecisionApi):
    """Run the project's current suite again on a quarantined or rejected batch."""

    def decide(self, batch: Batch, reason: str, user) -> Batch:
        return decision_services.batch_revalidate(batch=batch)
