"""REST views for a version's splits: request one (a manager), read it (any member)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_schema import error_responses
from datasets import selectors as data_selectors
from projects.selectors import MANAGERS, project_get_for_user
from quality.splits import services
from quality.splits.serializers import SplitRequestSerializer, SplitSerializer


class SplitApi(APIView):
    @extend_schema(responses=SplitSerializer)
    def get(self, request: Request, project_id: int, number: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id)
        version = data_selectors.version_get(project=project, number=number)
        return Response(SplitSerializer(data_selectors.split_get(version=version)).data)

    @extend_schema(request=SplitRequestSerializer, responses={202: SplitSerializer, **error_responses(409)})
    def post(self, request: Request, project_id: int, number: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGERS)
        version = data_selectors.version_get(project=project, number=number)
        serializer = SplitRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        split = services.split_request(
            version=version,
            ratios=serializer.validated_data["ratios"],
            seed=serializer.validated_data["seed"],
            user=request.user,
        )
        return Response(SplitSerializer(split).data, status=status.HTTP_202_ACCEPTED)
