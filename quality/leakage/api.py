"""REST views for a version's leakage check: read the newest result (any member), run it again (a manager)."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from datasets import selectors as data_selectors
from projects.selectors import MANAGERS, project_get_for_user
from quality.leakage import services
from quality.models import LeakageCheck


class LeakageSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = LeakageCheck
        fields = ["version", "status", "progress", "error", "requested_at", "finished_at"]
        read_only_fields = fields

    def to_representation(self, check: LeakageCheck) -> dict:
        # The result's keys (pairs, counts, method) sit beside the status, as the contract shows them.
        return {**super().to_representation(check), **(check.result or {})}


class LeakageApi(APIView):
    @extend_schema(responses=LeakageSerializer)
    def get(self, request: Request, project_id: int, number: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id)
        version = data_selectors.version_get(project=project, number=number)
        check = LeakageCheck.objects.filter(version=version).select_related("version").first()
        if check is None:
            raise Http404(f"version {number} has no leakage check yet")
        return Response(LeakageSerializer(check).data)

    @extend_schema(request=None, responses={202: LeakageSerializer})
    def post(self, request: Request, project_id: int, number: int) -> Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=MANAGERS)
        version = data_selectors.version_get(project=project, number=number)
        check = services.leakage_request(version=version)
        return Response(LeakageSerializer(check).data, status=status.HTTP_202_ACCEPTED)
