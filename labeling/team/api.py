"""``GET /api/projects/{id}/team/``: the team page's figures as JSON, for managers and reviewers."""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.review.selectors import version_number
from labeling.team.agreement_cache import agreement_source
from labeling.team.refresh import team_counts_current
from labeling.team.selectors import team_report
from labeling.team.serializers import TeamQuerySerializer, TeamSerializer
from projects.selectors import REVIEWERS, project_access


class TeamApi(APIView):
    @extend_schema(parameters=[TeamQuerySerializer], responses=TeamSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project = project_access(user=request.user, project_id=project_id, roles=REVIEWERS).project
        query = TeamQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        version = version_number(project=project, raw=query.validated_data.get("version"))
        source = agreement_source(project=project, version=version)
        report = team_report(
            project=project,
            version=version,
            agreement=source.row,
            fresh=source.fresh,
            stored=team_counts_current(project=project),
        )
        body = {**asdict(report), "agreement_computing": source.computing}
        return Response(TeamSerializer(body).data)
