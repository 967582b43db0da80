"""How often people agree with inherited labels, per augmentation method.

An augmented item under the ``inherit`` policy carries its root's final label, read when asked
(so it follows that label), never stored as anyone's annotation: agreement, consensus and gold
accuracy, which read annotations, never see it. A sample of such items (``Augmentation.label_check``)
still goes to people; comparing their final label with the inherited one tells whether a method
keeps the mapping from input to label clear.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from datasets.models import Augmentation, LabelPolicy
from labeling.models import Annotation
from labeling.review.data import canonical
from labeling.review.selectors import final_labels
from projects.models import Project

CHUNK = 5_000


@dataclass(frozen=True)
class InheritCheck:
    """One method's sampled ``inherit`` items: how many people settled, and how many agreed."""

    method: str
    sampled: int  # items in the sample
    settled: int  # of those, with a final label from people and an inherited label to compare
    agreed: int

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.settled if self.settled else None


def _finals(item_ids: list[int]) -> dict[int, Any]:
    values: dict[int, list[Any]] = defaultdict(list)
    for item_id, value in Annotation.objects.filter(item_id__in=item_ids).values_list("item_id", "value"):
        values[item_id].append(value)
    return {item_id: final for item_id, (final, _) in final_labels(item_ids=item_ids, annotations=values).items()}


def inherit_checks(*, project: Project) -> list[InheritCheck]:
    """Per method, of the sampled ``inherit`` items, how often people's final label equals the inherited one.

    Reads only the sample (a small share of augmented items), a chunk at a time: three queries per chunk.
    """
    sample = (
        Augmentation.objects.filter(item__project=project, label_policy=LabelPolicy.INHERIT, label_check=True)
        .order_by("item_id")
        .values_list("item_id", "root_id", "method")
    )
    sampled: dict[str, int] = defaultdict(int)
    settled: dict[str, int] = defaultdict(int)
    agreed: dict[str, int] = defaultdict(int)
    last = 0
    while rows := list(sample.filter(item_id__gt=last)[:CHUNK]):
        last = rows[-1][0]
        people = _finals([item_id for item_id, _, _ in rows])
        inherited = _finals(sorted({root_id for _, root_id, _ in rows}))
        for item_id, root_id, method in rows:
            sampled[method] += 1
            if people[item_id] is None or inherited[root_id] is None:
                continue
            settled[method] += 1
            agreed[method] += canonical(people[item_id]) == canonical(inherited[root_id])
    return [InheritCheck(method, sampled[method], settled[method], agreed[method]) for method in sorted(sampled)]
