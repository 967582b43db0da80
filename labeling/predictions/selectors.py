"""Reading model versions: the list a manager sees, an upload's progress, a set by name."""

from dataclasses import dataclass
from datetime import datetime

from config.errors import DomainError
from labeling.models import PredictionSet, PredictionUpload, PredictionUploadStatus
from projects.models import Project

MAX_LISTED = 200


@dataclass(frozen=True)
class ModelVersion:
    """One named upload: a stored set (``done``) or a file still being processed, or refused."""

    name: str
    count: int
    created_at: datetime
    status: str
    prediction_set: int | None
    upload: int | None
    progress: float
    error: str


def model_versions(*, project: Project) -> list[ModelVersion]:
    """The newest ``MAX_LISTED`` stored sets and the uploads not (yet) turned into one, newest first."""
    sets = PredictionSet.objects.filter(project=project).select_related("upload").order_by("-id")[:MAX_LISTED]
    pending = (
        PredictionUpload.objects.filter(project=project)
        .exclude(status=PredictionUploadStatus.DONE)
        .order_by("-id")[:MAX_LISTED]
    )
    versions = [
        ModelVersion(
            name=s.model_name,
            count=s.count,
            created_at=s.created_at,
            status=PredictionUploadStatus.DONE,
            prediction_set=s.pk,
            upload=getattr(getattr(s, "upload", None), "pk", None),
            progress=1.0,
            error="",
        )
        for s in sets
    ]
    versions += [
        ModelVersion(
            name=u.model_name,
            count=u.rows_read,
            created_at=u.created_at,
            status=u.status,
            prediction_set=None,
            upload=u.pk,
            progress=u.progress,
            error=u.error,
        )
        for u in pending
    ]
    return sorted(versions, key=lambda v: v.created_at, reverse=True)[:MAX_LISTED]


def prediction_upload_get(*, project: Project, upload_id: int) -> PredictionUpload:
    upload = PredictionUpload.objects.filter(project=project, pk=upload_id).first()
    if upload is None:
        raise DomainError("no such upload in this project", status_code=404)
    return upload


def prediction_set_by_name(*, project: Project, name: str) -> PredictionSet:
    """The newest stored set uploaded under ``name``; 404 when there is none."""
    found = PredictionSet.objects.filter(project=project, model_name=name).order_by("-id").first()
    if found is None:
        raise DomainError(f"no model version named {name!r} in this project", status_code=404)
    return found
