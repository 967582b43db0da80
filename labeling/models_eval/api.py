"""REST view of a model version's evaluation (reviewers and managers)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import DomainError
from labeling.models import ReviewResult, ReviewResultStatus
from labeling.models_eval import selectors
from labeling.models_eval.refresh import model_evaluation_current
from labeling.models_eval.serializers import ModelEvaluationSerializer
from labeling.predictions.selectors import prediction_set_by_name
from labeling.review.api import NOT_READY
from projects.models import Project
from projects.selectors import REVIEWERS, project_get_for_user

KNOWN_PARAMS = ("compare", "format")


def evaluations(project: Project, name: str, compare: str | None) -> list[ReviewResult]:
    """The evaluation of ``name`` (and of ``compare``), each fresh, computed now or handed to a worker."""
    names = [name] if not compare else [name, compare]
    sets = [prediction_set_by_name(project=project, name=each) for each in names]
    return [
        model_evaluation_current(project=project, cached=selectors.evaluation_cached(project=project, prediction_set=s))
        for s in sets
    ]


def evaluation_body(rows: list[ReviewResult], task_type: str) -> dict[str, Any]:
    first = rows[0]
    body = {"status": "done", "computed_at": first.computed_at, "task_type": task_type, **first.result}
    body["compare"] = rows[1].result if len(rows) > 1 else None
    return body


class ModelEvaluationApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("compare", OpenApiTypes.STR, description="another model version, side by side")],
        responses={200: ModelEvaluationSerializer, **NOT_READY},
    )
    def get(self, request: Request, project_id: int, name: str) -> Response:
        """The model version against the settled labels and the human-level baseline."""
        project = project_get_for_user(user=request.user, project_id=project_id, roles=REVIEWERS)
        unknown = sorted(set(request.query_params) - set(KNOWN_PARAMS))
        if unknown:
            raise DomainError(f"unknown query parameter: {', '.join(unknown)} (this endpoint takes compare)")
        rows = evaluations(project, name, request.query_params.get("compare") or None)
        for row in rows:
            if row.status == ReviewResultStatus.FAILED:
                return Response({"status": "failed", "detail": f"the computation failed: {row.error}"}, status=503)
            if row.status != ReviewResultStatus.DONE:
                return Response({"status": "computing", "started_at": row.started_at}, status=status.HTTP_202_ACCEPTED)
        return Response(evaluation_body(rows, project.task_type))
