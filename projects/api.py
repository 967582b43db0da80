"""REST views for projects: parse input, call one service or selector, shape output."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import selectors, services
from projects.models import Role
from projects.serializers import (
    MembershipSerializer,
    MembershipWriteSerializer,
    ProjectSerializer,
    ProjectWriteSerializer,
)


class ProjectListCreateApi(APIView):
    @extend_schema(responses=ProjectSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(ProjectSerializer(selectors.projects_listed(request.user), many=True).data)

    @extend_schema(request=ProjectWriteSerializer, responses={201: ProjectSerializer})
    def post(self, request: Request) -> Response:
        serializer = ProjectWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_create(user=request.user, **serializer.validated_data)
        data = ProjectSerializer(project, context={"role": Role.MANAGER.value}).data
        return Response(data, status=status.HTTP_201_CREATED)


class MemberListCreateApi(APIView):
    @extend_schema(responses=MembershipSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        return Response(MembershipSerializer(selectors.members_list(project=project), many=True).data)

    @extend_schema(request=MembershipWriteSerializer, responses={201: MembershipSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=selectors.MANAGERS)
        serializer = MembershipWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_set(project=project, **serializer.validated_data)
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, username: str) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id, roles=selectors.MANAGERS)
        services.membership_remove(project=project, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)
