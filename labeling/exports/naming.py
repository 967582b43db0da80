"""The file name of an export: the same for a streamed download and a job's file."""

from django.utils.text import slugify

from labeling.exports import FORMATS
from labeling.exports.selection import FLAT, NESTED
from projects.models import Project


def export_filename(*, project: Project, number: int, export_format: str, layout: str = NESTED) -> str:
    """A name made only of ASCII letters, digits and dashes, whatever the project is called."""
    stem = slugify(project.name)[:80].strip("-") or f"project-{project.pk}"
    flat = "-flat" if layout == FLAT else ""
    return f"{stem}-v{number}{flat}{FORMATS[export_format].suffix}"
