"""``POST /api/projects/{id}/versions/{n}/selection/?<filters>``: send back or raise the priority
of the items the explorer's filters select. A small selection is done at once (200, the
counts); a large one is a job (202, its URL), followed at ``GET /api/selections/{job}/``."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.explorer import selection_jobs
from labeling.models import SelectionAction, SelectionJob
from projects.selectors import MANAGERS, project_get_for_user


class SelectionActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=SelectionAction.choices)
    amount = serializers.IntegerField(
        help_text="send_back: how many more labels each item takes; priority: the priority to raise the items to"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="",
                                 help_text="send_back: why, kept on each item")  # fmt: skip


class SelectionOutcomeSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=SelectionAction.choices)
    status = serializers.CharField(help_text='always "done": the action ran in the request')
    touched = serializers.IntegerField(help_text="items sent back, or whose priority is now at least the one asked")
    refused = serializers.IntegerField(help_text="send_back: items left as they were (too few members left)")


class SelectionJobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="where to follow the job")
    page_url = serializers.SerializerMethodField(help_text="the job's page")
    outcome = serializers.SerializerMethodField(help_text="what the job did so far, in words")

    class Meta:
        model = SelectionJob
        fields = ["id", "url", "page_url", "version", "action", "amount", "note", "filters", "status", "progress"]
        fields += ["touched", "refused", "outcome", "error", "created_at", "finished_at"]

    def get_url(self, job: SelectionJob) -> str:
        return reverse("api-selection-job", args=[job.pk])

    def get_page_url(self, job: SelectionJob) -> str:
        return reverse("explorer-selection-job", args=[job.project_id, job.version, job.pk])

    def get_outcome(self, job: SelectionJob) -> str:
        return selection_jobs.job_outcome_text(job)


FILTERS_PARAMETER = OpenApiParameter(
    "filters",
    OpenApiTypes.OBJECT,
    style="form",
    explode=True,
    description="the explorer's filters, by the items API's names (q, metadata, label, final, annotator, batch, "
    "disagreement, label_issue); none: every item of the version; an unknown one is a 400",
)


class SelectionApi(APIView):
    """Act on the items a version's filters select; managers only."""

    @extend_schema(
        operation_id="selection_act",
        parameters=[FILTERS_PARAMETER],
        request=SelectionActionSerializer,
        responses={200: SelectionOutcomeSerializer, 202: SelectionJobSerializer},
    )
    def post(self, request: Request, project_id: int, number: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGERS)
        body = SelectionActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = selection_jobs.selection_act(
            project=project, number=number, user=request.user, action=body.validated_data["action"],
            amount=body.validated_data["amount"], note=body.validated_data["note"], filters=request.query_params,
        )  # fmt: skip
        if result.job is not None:
            data = SelectionJobSerializer(result.job).data
            return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})
        outcome = {"action": result.action, "status": "done", "touched": result.touched, "refused": result.refused}
        return Response(SelectionOutcomeSerializer(outcome).data)


class SelectionJobApi(APIView):
    """A selection job: its status, progress and counts so far."""

    @extend_schema(operation_id="selection_job", responses=SelectionJobSerializer)
    def get(self, request: Request, job_id: str) -> Response:
        job = selection_jobs.selection_job_get_for_user(user=request.user, job_id=job_id)
        return Response(SelectionJobSerializer(job).data)
