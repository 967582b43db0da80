"""``GET /api/projects/{id}/versions/{n}/export/?format=...``: a version with its labels, streamed;
``POST`` of the same URL: the same file written by a worker (``/api/exports/{job}/`` follows it).

Both take the items API's filters (a selection) and ``layout=flat`` for CSV."""

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.negotiation import FormatIsNotARenderer
from datasets.selectors import version_get
from labeling import exports
from labeling.exports import jobs
from labeling.exports.naming import export_filename
from labeling.exports.selection import ExportQuerySerializer
from labeling.models import ExportJob
from projects.selectors import REVIEWERS, project_get_for_user

__all__ = ["ExportJobApi", "ExportJobFileApi", "VersionExportApi", "export_filename"]

DEFAULT_FORMAT = "jsonl"


# Each format's own media type; Label Studio's file is JSON, the others are opaque to the schema.
EXPORT_RESPONSES = {
    (200, media_type): OpenApiResponse(
        OpenApiTypes.ANY if media_type == "application/json" else OpenApiTypes.BINARY,
        description="an attachment, streamed, in the format asked for",
    )
    for media_type in dict.fromkeys(spec.content_type.split(";")[0] for spec in exports.FORMATS.values())
}
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=list(exports.FORMATS),
    description=f"the file format; {DEFAULT_FORMAT} when absent; conll for span projects only",
)


class ExportJobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="where to follow the job")
    download_url = serializers.SerializerMethodField(help_text="the file, once the job is done; null before")

    class Meta:
        model = ExportJob
        fields = ["id", "url", "version", "format", "layout", "filters", "status", "progress", "items_written"]
        fields += ["size", "error", "created_at", "finished_at", "download_url"]

    def get_url(self, job: ExportJob) -> str:
        return reverse("api-export-job", args=[job.pk])

    def get_download_url(self, job: ExportJob) -> str | None:
        return reverse("api-export-job-file", args=[job.pk]) if job.file else None


class VersionExportApi(APIView):
    content_negotiation_class = FormatIsNotARenderer

    @extend_schema(
        operation_id="version_export",
        parameters=[FORMAT_PARAMETER, ExportQuerySerializer],
        responses=EXPORT_RESPONSES,
    )
    def get(self, request: Request, project_id: int, number: int) -> StreamingHttpResponse | Response:
        project = project_get_for_user(user=request.user, project_id=project_id, roles=REVIEWERS)
        version = version_get(project=project, number=number)
        export_format = request.query_params.get("format", DEFAULT_FORMAT)
        spec = exports.FORMATS.get(export_format)
        if spec is None:
            return _unknown_format()
        options = jobs.export_options_check(
            project=project, number=version.number, export_format=export_format, query=request.query_params
        )
        response = StreamingHttpResponse(
            exports.export_stream(
                project=project,
                number=version.number,
                export_format=export_format,
                selection=options.selection,
                layout=options.layout,
            ),
            content_type=spec.content_type,
        )
        filename = export_filename(
            project=project, number=version.number, export_format=export_format, layout=options.layout
        )
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(
        operation_id="version_export_job_start",
        parameters=[FORMAT_PARAMETER, ExportQuerySerializer],
        request=None,
        responses={202: ExportJobSerializer},
    )
    def post(self, request: Request, project_id: int, number: int) -> Response:
        """Write the export to a file in the background; the options are the query string's, as for ``GET``."""
        project = project_get_for_user(user=request.user, project_id=project_id, roles=REVIEWERS)
        export_format = request.query_params.get("format", DEFAULT_FORMAT)
        if export_format not in exports.FORMATS:
            return _unknown_format()
        job = jobs.export_job_start(
            project=project, number=number, user=request.user, export_format=export_format, query=request.query_params
        )
        data = ExportJobSerializer(job).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


def _unknown_format() -> Response:
    return Response(
        {"detail": f"format must be one of {', '.join(exports.FORMATS)}", "formats": list(exports.FORMATS)},
        status=status.HTTP_400_BAD_REQUEST,
    )


class ExportJobApi(APIView):
    """An export job: its status and progress, and the file's URL once it is written."""

    @extend_schema(operation_id="export_job", responses=ExportJobSerializer)
    def get(self, request: Request, job_id: str) -> Response:
        return Response(ExportJobSerializer(jobs.export_job_get_for_user(user=request.user, job_id=job_id)).data)


class ExportJobFileApi(APIView):
    """The file an export job wrote, as an attachment."""

    @extend_schema(operation_id="export_job_file", responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, job_id: str) -> FileResponse:
        job = jobs.export_job_get_for_user(user=request.user, job_id=job_id)
        if not job.file:
            raise Http404
        try:
            handle = jobs.export_job_file_open(job=job)
        except FileNotFoundError:
            raise Http404 from None
        filename = export_filename(project=job.project, number=job.version, export_format=job.format,
                                   layout=job.layout)  # fmt: skip
        response = FileResponse(handle, as_attachment=True, filename=filename)
        response["Content-Type"] = exports.FORMATS[job.format].content_type
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
