"""REST views for a project's validation suite (GX JSON in and out) and its check settings.

Nothing here imports great_expectations: suites are checked by ``quality.validation``'s
own catalogue of GX expectation types, so these answer as quickly as any other view.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_schema import error_responses
from projects import selectors as project_selectors
from quality.suites import services as suite_services


class SuiteApi(APIView):
    """The project's Great Expectations suite, as GX serializes it. Managers may replace it."""

    parser_classes = [JSONParser]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, project_id: int) -> Response:
        project = project_selectors.project_get_for_user(user=request.user, project_id=project_id)
        return Response(suite_services.suite_read(project=project))

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def put(self, request: Request, project_id: int) -> Response:
        project = project_selectors.project_get_for_user(
            user=request.user, project_id=project_id, roles=project_selectors.MANAGERS
        )
        stored = suite_services.suite_set(project=project, user=request.user, suite=request.data)
        return Response(stored.suite)


class SuiteSuggestApi(APIView):
    """A suite inferred from the current version, for review; nothing is stored."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **error_responses(409)})
    def get(self, request: Request, project_id: int) -> Response:
        project = project_selectors.project_get_for_user(
            user=request.user, project_id=project_id, roles=project_selectors.MANAGERS
        )
        return Response(suite_services.suite_propose(project=project))


class CheckSettingsApi(APIView):
    """Thresholds and methods of the built-in checks (drift, duplicates, schema...) and their severities."""

    parser_classes = [JSONParser]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, project_id: int) -> Response:
        project = project_selectors.project_get_for_user(user=request.user, project_id=project_id)
        return Response(suite_services.check_settings_read(project=project).asdict())

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def put(self, request: Request, project_id: int) -> Response:
        project = project_selectors.project_get_for_user(
            user=request.user, project_id=project_id, roles=project_selectors.MANAGERS
        )
        stored = suite_services.check_settings_set(project=project, user=request.user, data=request.data)
        return Response(stored.check_settings)
