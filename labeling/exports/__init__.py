"""Export of a dataset version with its labels, streamed in every format a team may need.

Reading (``records``) yields chunks of records; one generator per format turns them into
bytes as they come, so a response can stream a million items without holding them.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from labeling.exports.conll import write_conll
from labeling.exports.labelstudio import write_labelstudio
from labeling.exports.parquet_format import write_parquet
from labeling.exports.records import Chunk, ExportContext, version_annotators, version_chunks
from labeling.exports.text_formats import write_csv, write_jsonl
from projects.models import Project, TaskType


@dataclass(frozen=True)
class ExportFormat:
    writer: Callable[[Iterable[Chunk], ExportContext], Iterator[bytes]]
    content_type: str
    suffix: str
    task_types: tuple[str, ...] | None = None  # None: every task type


FORMATS: dict[str, ExportFormat] = {
    "jsonl": ExportFormat(write_jsonl, "application/x-ndjson; charset=utf-8", ".jsonl"),
    "csv": ExportFormat(write_csv, "text/csv; charset=utf-8", ".csv"),
    "parquet": ExportFormat(write_parquet, "application/vnd.apache.parquet", ".parquet"),
    "labelstudio": ExportFormat(write_labelstudio, "application/json", "-labelstudio.json"),
    "conll": ExportFormat(write_conll, "text/plain; charset=utf-8", ".conll", task_types=(TaskType.SPANS,)),
}


def export_stream(
    *, project: Project, number: int, export_format: str, chunk_size: int | None = None
) -> Iterator[bytes]:
    """The bytes of version ``number`` of the project in ``export_format``, as they are written."""
    spec = FORMATS[export_format]
    needs_annotators = export_format in ("conll", "labelstudio")
    annotators = version_annotators(project=project, number=number) if needs_annotators else {}
    context = ExportContext(task_type=project.task_type, content_column=project.content_column, annotators=annotators)
    return spec.writer(version_chunks(project=project, number=number, chunk_size=chunk_size), context)
