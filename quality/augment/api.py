"""REST views for augmentation: register rows made elsewhere, list the built-in methods, generate."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_schema import error_responses
from labeling.inherited import inherit_checks
from projects.models import TaskType
from projects.selectors import MANAGERS, REVIEWERS, project_get_for_user
from quality.augment import selectors, services
from quality.augment.augmenters import methods_for
from quality.augment.serializers import AugmentationJobSerializer, GenerateSerializer, RegisterSerializer

BatchQueued = inline_serializer(
    "AugmentedBatchQueued", {"id": serializers.UUIDField(), "status": serializers.CharField()}
)


class AugmentationRegisterApi(APIView):
    @extend_schema(request=RegisterSerializer, responses={202: BatchQueued, **error_responses(413)})
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGERS)
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = services.augmentations_register(
            project=project, user=request.user, rows=serializer.validated_data["items"]
        )
        return Response({"id": str(batch.pk), "status": batch.status}, status=status.HTTP_202_ACCEPTED)


class AugmentationMethodsApi(APIView):
    @extend_schema(responses={200: inline_serializer("AugmentationMethods", {"methods": serializers.ListField()})})
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id)
        methods = methods_for(services.content_kind(project), spans=project.task_type == TaskType.SPANS)
        return Response({"methods": [method.as_dict() for method in methods]})


class AugmentationGenerateApi(APIView):
    @extend_schema(request=GenerateSerializer, responses={202: AugmentationJobSerializer, **error_responses(413)})
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGERS)
        serializer = GenerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = services.augmentation_job_start(
            project=project,
            user=request.user,
            version=data["version"],
            method=data["method"],
            params=data["params"],
            copies_per_item=data["copies_per_item"],
            seed=data["seed"],
            item_filter=data["filter"],
            label_policy=data["label_policy"],
        )
        return Response(AugmentationJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class AugmentationJobApi(APIView):
    @extend_schema(responses=AugmentationJobSerializer)
    def get(self, request: Request, job_id: str) -> Response:
        job = selectors.job_get_for_user(user=request.user, job_id=job_id)
        return Response(AugmentationJobSerializer(job).data)


class PreviewPairSerializer(serializers.Serializer):
    source_item = serializers.IntegerField(source="source_id")
    external_id = serializers.CharField()
    source = serializers.CharField(help_text="the source's text, or its image's address")
    augmented = serializers.CharField(help_text="the augmented text, or the augmented image as a PNG data URL")
    params = serializers.JSONField(help_text="every value used, as the job would store it")
    copy = serializers.IntegerField()


class PreviewRequestSerializer(GenerateSerializer):
    label_policy = None  # a preview stores nothing, so has no labels to decide


class AugmentationPreviewApi(APIView):
    """The first few sources a generation request would augment, each beside its copies; nothing is stored."""

    @extend_schema(
        request=PreviewRequestSerializer,
        responses=inline_serializer("AugmentationPreview", {"pairs": PreviewPairSerializer(many=True)}),
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGERS)
        serializer = PreviewRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        pairs = services.augmentation_preview(
            project=project,
            version=data["version"],
            method=data["method"],
            params=data["params"],
            copies_per_item=data["copies_per_item"],
            seed=data["seed"],
            item_filter=data["filter"],
        )
        return Response({"pairs": PreviewPairSerializer(pairs, many=True).data})


class InheritCheckSerializer(serializers.Serializer):
    method = serializers.CharField()
    sampled = serializers.IntegerField(help_text="inherit items of this method sent to people to check")
    settled = serializers.IntegerField(help_text="of those, with a final label from people to compare")
    agreed = serializers.IntegerField(help_text="of those, whose final label equals the inherited one")
    agreement = serializers.FloatField(allow_null=True, help_text="agreed / settled; null before any is settled")


class AugmentationInheritChecksApi(APIView):
    """Per method, how often people agree with the labels augmented items inherit from their source."""

    @extend_schema(
        responses=inline_serializer(
            "InheritChecks",
            {"inherit_check_share": serializers.FloatField(), "methods": InheritCheckSerializer(many=True)},
        )
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=REVIEWERS)
        checks = inherit_checks(project=project)
        return Response(
            {
                "inherit_check_share": project.inherit_check_share,
                "methods": InheritCheckSerializer(checks, many=True).data,
            }
        )
