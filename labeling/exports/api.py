"""``GET /api/projects/{id}/versions/{n}/export/?format=...``: a version with its labels, streamed."""

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import DomainError
from config.negotiation import FormatIsNotARenderer
from datasets.selectors import version_get
from labeling import exports
from projects.models import Project
from projects.selectors import REVIEWERS, project_get_for_user

DEFAULT_FORMAT = "jsonl"


def export_filename(*, project: Project, number: int, export_format: str) -> str:
    """A name made only of ASCII letters, digits and dashes, whatever the project is called."""
    stem = slugify(project.name)[:80].strip("-") or f"project-{project.pk}"
    return f"{stem}-v{number}{exports.FORMATS[export_format].suffix}"


# Each format's own media type; Label Studio's file is JSON, the others are opaque to the schema.
EXPORT_RESPONSES = {
    (200, media_type): OpenApiResponse(
        OpenApiTypes.ANY if media_type == "application/json" else OpenApiTypes.BINARY,
        description="an attachment, streamed, in the format asked for",
    )
    for media_type in dict.fromkeys(spec.content_type.split(";")[0] for spec in exports.FORMATS.values())
}


class VersionExportApi(APIView):
    content_negotiation_class = FormatIsNotARenderer

    @extend_schema(
        operation_id="version_export",
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=list(exports.FORMATS),
                description=f"the file format; {DEFAULT_FORMAT} when absent; conll for span projects only",
            )
        ],
        responses=EXPORT_RESPONSES,
    )
    def get(self, request: Request, project_id: int, number: int) -> StreamingHttpResponse | Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=REVIEWERS)
        version = version_get(project=project, number=number)
        export_format = request.query_params.get("format", DEFAULT_FORMAT)
        spec = exports.FORMATS.get(export_format)
        if spec is None:
            return Response(
                {"detail": f"format must be one of {', '.join(exports.FORMATS)}", "formats": list(exports.FORMATS)},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if spec.task_types is not None and project.task_type not in spec.task_types:
            raise DomainError(f"{export_format} is for {' or '.join(spec.task_types)} projects; this one is "
                              f"{project.task_type}")  # fmt: skip
        response = StreamingHttpResponse(
            exports.export_stream(project=project, number=version.number, export_format=export_format),
            content_type=spec.content_type,
        )
        filename = export_filename(project=project, number=version.number, export_format=export_format)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        response["Cache-Control"] = "private, no-store"
        return response
