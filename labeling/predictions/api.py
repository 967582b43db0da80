"""REST views of model predictions: managers upload, reviewers and managers list and follow uploads."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_schema import error_responses
from config.errors import DomainError, TooLarge
from labeling.predictions import selectors, services, uploads
from labeling.predictions.serializers import (
    ModelVersionSerializer,
    PredictionsFileSerializer,
    PredictionsStoredSerializer,
    PredictionsWriteSerializer,
    PredictionUploadSerializer,
)
from projects.selectors import MANAGERS, REVIEWERS, project_get_for_user

UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and headers around the file


def _no_params(request: Request) -> None:
    unknown = sorted(set(request.query_params) - {"format"})
    if unknown:
        raise DomainError(f"unknown query parameter: {', '.join(unknown)} (this endpoint takes none)")


class PredictionsApi(APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(responses=ModelVersionSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        """The model versions: stored sets and uploads still processed (or refused), newest first."""
        project = project_get_for_user(user=request.user, project_id=project_id, roles=REVIEWERS)
        _no_params(request)
        return Response(ModelVersionSerializer(selectors.model_versions(project=project), many=True).data)

    @extend_schema(
        request={"application/json": PredictionsWriteSerializer, "multipart/form-data": PredictionsFileSerializer},
        responses={
            201: PredictionsStoredSerializer,
            202: PredictionUploadSerializer,
            **error_responses(404, 413),
        },
    )
    def post(self, request: Request, project_id: int) -> Response:
        """A JSON body is stored at once (201); a JSONL ``file`` is checked and written by a worker (202)."""
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGERS)
        _no_params(request)
        if request.content_type.startswith("multipart/"):
            length = int(request.META.get("CONTENT_LENGTH") or 0)
            if length > settings.GROUNDWORK_MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD:
                raise TooLarge(f"the upload is {length:,} bytes; the limit is {settings.GROUNDWORK_MAX_UPLOAD_BYTES:,}")
            serializer = PredictionsFileSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            upload = uploads.prediction_upload_create(
                project=project,
                user=request.user,
                model_name=serializer.validated_data["model"],
                uploaded=serializer.validated_data["file"],
            )
            return Response(PredictionUploadSerializer(upload).data, status=status.HTTP_202_ACCEPTED)
        serializer = PredictionsWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prediction_set = services.predictions_store(
            project=project,
            user=request.user,
            model_name=serializer.validated_data["model"],
            predictions=serializer.validated_data["predictions"],
        )
        body = {"id": prediction_set.pk, "model": prediction_set.model_name, "count": prediction_set.count}
        return Response({**body, "status": "done"}, status=status.HTTP_201_CREATED)


class PredictionUploadApi(APIView):
    @extend_schema(responses=PredictionUploadSerializer)
    def get(self, request: Request, project_id: int, upload_id: int) -> Response:
        """An upload's progress; ``failed`` with ``error`` naming the first bad row, nothing stored."""
        project = project_get_for_user(user=request.user, project_id=project_id, roles=REVIEWERS)
        _no_params(request)
        upload = selectors.prediction_upload_get(project=project, upload_id=upload_id)
        return Response(PredictionUploadSerializer(upload).data)
