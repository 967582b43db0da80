"""REST views of version reports: the JSON, one offline HTML file, freeze, the datasheet note, compare."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_schema import error_responses
from config.errors import Conflict, DomainError
from config.negotiation import FormatIsNotARenderer
from datasets.selectors import version_get
from projects.selectors import MANAGERS, REVIEWERS, project_get_for_user
from quality.reports import services
from quality.reports.build import versions_compared
from quality.reports.html import report_file
from quality.reports.selectors import ReportState, report_state
from quality.reports.serializers import ReportNoteSerializer, ReportSerializer, report_data

FORMATS = ("json", "html")


def _only(request: Request, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise DomainError(f"unknown query parameter {unknown[0]!r}; this takes {', '.join(allowed) or 'none'}")


def _version(request: Request, project_id: int, number: int, roles=REVIEWERS):
    project = project_get_for_user(user=request.user, project_id=project_id, roles=roles)
    return version_get(project=project, number=number)


class VersionReportApi(APIView):
    content_negotiation_class = FormatIsNotARenderer

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=list(FORMATS), description="html: one self-contained file")],
        responses={200: ReportSerializer, (200, "text/html"): OpenApiTypes.STR, **error_responses(409)},
    )
    def get(self, request: Request, project_id: int, number: int) -> Response | HttpResponse:
        _only(request, ("format",))
        fmt = request.query_params.get("format", "json")
        if fmt not in FORMATS:
            raise DomainError(f"format must be one of {', '.join(FORMATS)}")
        version = _version(request, project_id, number)
        services.report_request(version=version)  # a missing or stale report is queued for a worker
        state = report_state(version=version)
        if fmt == "html":
            if state.data is None:
                raise Conflict("the report is being computed; ask again in a moment")
            response = HttpResponse(report_file(version=version, state=state), content_type="text/html; charset=utf-8")
            name = f"report-project{version.project_id}-v{version.number}.html"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return Response(report_data(version, state))


class VersionReportFreezeApi(APIView):
    @extend_schema(request=None, responses={200: ReportSerializer, **error_responses(409)})
    def post(self, request: Request, project_id: int, number: int) -> Response:
        version = _version(request, project_id, number, roles=MANAGERS)
        services.report_freeze(version=version, user=request.user)
        return Response(report_data(version, report_state(version=version)))


class VersionReportNoteApi(APIView):
    @extend_schema(request=ReportNoteSerializer, responses=ReportSerializer)
    def put(self, request: Request, project_id: int, number: int) -> Response:
        version = _version(request, project_id, number, roles=MANAGERS)
        serializer = ReportNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.report_note_set(version=version, note=serializer.validated_data["note"])
        return Response(report_data(version, report_state(version=version)))


def compared(state_a: ReportState, state_b: ReportState, a: int, b: int) -> dict:
    for number, state in ((a, state_a), (b, state_b)):
        if state.data is None:
            raise Conflict(f"the report of version {number} is being computed; ask again in a moment")
    return {"a_version": a, "b_version": b, **versions_compared(state_a.data, state_b.data)}


class VersionCompareApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("a", int, required=True), OpenApiParameter("b", int, required=True)],
        responses={
            200: inline_serializer(
                "VersionCompare",
                {
                    "a_version": serializers.IntegerField(),
                    "b_version": serializers.IntegerField(),
                    "a": serializers.DictField(),
                    "b": serializers.DictField(),
                    "delta": serializers.DictField(),
                    "class_balance": serializers.ListField(child=serializers.DictField()),
                },
            ),
            **error_responses(409),
        },
    )
    def get(self, request: Request, project_id: int) -> Response:
        _only(request, ("a", "b"))
        numbers = []
        for name in ("a", "b"):
            raw = request.query_params.get(name, "")
            if not raw.isdigit():
                raise DomainError(f"{name} must be a version number")
            numbers.append(int(raw))
        states = []
        for number in numbers:
            version = _version(request, project_id, number)
            services.report_request(version=version)
            states.append(report_state(version=version))
        return Response(compared(states[0], states[1], numbers[0], numbers[1]))
