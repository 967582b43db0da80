"""Duplicate pairs among a version's items: texts read as they are, images through their stored files."""

import re
from collections.abc import Callable

import numpy as np

from datasets.models import ItemImage
from datasets.selectors import VersionItems
from projects.models import Project, TaskType
from quality.leakage.hashing import Pairs, image_pairs, image_phash, text_pairs

IMAGE_ADDRESS = re.compile(r"^/projects/(?P<project>\d+)/images/(?P<sha>[0-9a-f]{64})\.(?P<ext>\w+)$")


def duplicate_pairs(*, project: Project, items: VersionItems, progress: Callable[[float], None] | None = None) -> Pairs:
    """Exact and near-duplicate pairs among ``items``, as positions in its arrays."""
    if project.task_type != TaskType.IMAGE:
        return text_pairs(items.contents)
    positions, hashes = image_hashes(project=project, addresses=items.contents, progress=progress)
    found = image_pairs(hashes)
    return Pairs(positions[found.a], positions[found.b], found.similarity, found.exact)


def image_hashes(
    *, project: Project, addresses: list[str], progress: Callable[[float], None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Perceptual hashes of the images stored in the project; an image elsewhere (an outside URL) is skipped."""
    files = {sha: image.file for sha, image in ((i.sha256, i) for i in ItemImage.objects.filter(project=project))}
    positions, hashes = [], []
    for position, address in enumerate(addresses):
        match = IMAGE_ADDRESS.match(address or "")
        if not match or int(match["project"]) != project.pk or match["sha"] not in files:
            continue
        try:
            with files[match["sha"]].open("rb") as handle:
                hashes.append(image_phash(handle))
        except (OSError, ValueError):
            continue
        positions.append(position)
        if progress and position % 500 == 0:
            progress(position / len(addresses))
    return np.array(positions, np.int64), np.array(hashes, np.uint64)
