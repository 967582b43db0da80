"""Labels that arrive inside a batch file, turned into our values. No Django.

Two sources: a Label Studio task's ``annotations`` and ``predictions`` (its JSON export, as
is), and the columns a manager mapped at upload: a label, who gave it, a gold answer (a
Doccano export is such a file, its ``label`` column mapped). Every value is checked against
the project's schema here, so a label outside it stops the batch with its row named, before
anything is stored; a Label Studio result we cannot hold is reported, never dropped silently.
"""

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from labeling.values import InvalidValue, check_value

SINGLE_LABEL = ("classification", "image")
UNMATCHED_CHOICES = ("add_as_annotators", "skip")
# The uploader stands for the annotator of a label whose file names nobody.
UPLOADER = ""
UNSUPPORTED_KEPT = 1000  # tasks named in the batch's results; the count covers the rest


class LabelError(ValueError):
    """A label the project cannot hold; the message names the row."""


@dataclass(frozen=True)
class LabelMapping:
    """Which columns of a batch hold labels, and what to do with annotators who are not members."""

    label_column: str = ""
    annotator_column: str = ""
    gold_column: str = ""
    unmatched: str = ""  # "" (refuse the batch), "add_as_annotators" or "skip"

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "LabelMapping":
        data = data or {}
        return cls(**{key: str(data.get(key) or "") for key in cls.__dataclass_fields__})

    def as_dict(self) -> dict[str, str]:
        return {key: value for key, value in self.__dict__.items() if value}

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c in (self.label_column, self.annotator_column, self.gold_column) if c)


@dataclass(frozen=True)
class ImportedAnnotation:
    annotator: str  # an email or username as the file has it; UPLOADER when it names nobody
    value: Any  # None for a skip
    row: int
    skipped: bool = False
    created_at: str | None = None
    updated_at: str | None = None


@dataclass
class RowLabels:
    """What one row of the file brought besides its item."""

    annotations: list[ImportedAnnotation] = field(default_factory=list)
    gold: Any = None
    predictions: dict[str, list[float]] = field(default_factory=dict)  # model -> probabilities
    unsupported: list[str] = field(default_factory=list)  # what could not be held, one entry each

    def __bool__(self) -> bool:
        return bool(self.annotations or self.gold is not None or self.predictions or self.unsupported)


@dataclass
class BatchLabels:
    """The labels of a chunk of rows, keyed by the content hash of the item they belong to;
    for a whole batch (``absorb``), only what its result reports: the tasks with results we
    cannot hold, and how many labels were staged."""

    annotations: list[tuple[str, ImportedAnnotation]] = field(default_factory=list)
    gold: dict[str, Any] = field(default_factory=dict)
    predictions: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # model -> hash -> probabilities
    unsupported: list[dict[str, Any]] = field(default_factory=list)
    unsupported_count: int = 0
    staged: int = 0  # labels of earlier chunks, written to the database already
    names: set[str] = field(default_factory=set)  # the annotators earlier chunks named

    def add(self, content_hash: str, labels: RowLabels, *, row: int, task_id: Any = None) -> None:
        self.annotations.extend((content_hash, annotation) for annotation in labels.annotations)
        if labels.gold is not None:
            self.gold[content_hash] = labels.gold
        for model, probabilities in labels.predictions.items():
            self.predictions.setdefault(model, {})[content_hash] = probabilities
        if labels.unsupported:
            self.unsupported_count += len(labels.unsupported)
            if len(self.unsupported) < UNSUPPORTED_KEPT:
                self.unsupported.append({"row": row, "task": task_id, "not_imported": labels.unsupported})

    def absorb(self, chunk: "BatchLabels") -> None:
        """Count a chunk's labels once they are staged, keeping only what the batch's result names."""
        self.staged += chunk.count()
        self.names |= chunk.annotators()
        self.unsupported_count += chunk.unsupported_count
        self.unsupported.extend(chunk.unsupported[: max(UNSUPPORTED_KEPT - len(self.unsupported), 0)])

    def count(self) -> int:
        return len(self.annotations) + len(self.gold) + sum(len(p) for p in self.predictions.values())

    def annotators(self) -> set[str]:
        return self.names | {a.annotator for _, a in self.annotations if a.annotator != UPLOADER}

    def __bool__(self) -> bool:
        return bool(self.staged or self.count() or self.unsupported_count)


def _checked(value: Any, *, task_type: str, labels: list[str], text: str | None, row: int, what: str) -> Any:
    try:
        return check_value(value, task_type=task_type, labels=labels, text=text)
    except InvalidValue as exc:
        raise LabelError(f"row {row}: {what}: {exc}") from None


# -- Label Studio ---------------------------------------------------------------------------
def annotator_name(completed_by: Any) -> str:
    """Who made a Label Studio annotation: its email, else its username; a bare user id as ``labelstudio-user-<id>``."""
    if isinstance(completed_by, dict):
        for key in ("email", "username"):
            if completed_by.get(key):
                return str(completed_by[key]).strip()
        completed_by = completed_by.get("id")
    if isinstance(completed_by, str):
        return completed_by.strip()
    if isinstance(completed_by, int) and not isinstance(completed_by, bool):
        return f"labelstudio-user-{completed_by}"  # an export without user details: only Label Studio knows who
    return UPLOADER


def _result_value(results: list[Any], *, task_type: str) -> tuple[Any, list[str]]:
    """Our value from a Label Studio ``result`` list, and the result types it had that we cannot hold."""
    choices: list[str] = []
    spans: list[dict[str, Any]] = []
    unsupported: list[str] = []
    for result in results:
        if not isinstance(result, dict):
            unsupported.append("a result that is not an object")
            continue
        kind = result.get("type")
        value = result.get("value") if isinstance(result.get("value"), dict) else {}
        if kind == "choices" and task_type != "spans":
            choices.extend(str(c) for c in value.get("choices") or [])
        elif kind == "labels" and task_type == "spans":
            for label in value.get("labels") or []:
                spans.append({"start": value.get("start"), "end": value.get("end"), "label": str(label)})
        else:
            unsupported.append(str(kind or "untyped"))
    if task_type == "spans":
        return spans, unsupported
    if task_type == "multilabel":
        return (list(dict.fromkeys(choices)) if choices or not unsupported else None), unsupported
    if not choices:
        return None, unsupported
    if len(set(choices)) > 1:
        raise LabelError(f"several choices ({', '.join(choices)}) for a single-label project")
    return choices[0], unsupported


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _prediction(
    results: list[Any], *, score: Any, task_type: str, labels: list[str], probabilities: Any = None
) -> tuple[list[float] | None, list[str]]:
    """Class probabilities from a prediction: every label's when it has ``probabilities`` (our own
    export writes them), else its choice gets its score (1 without one) and the others share the rest."""
    if task_type not in SINGLE_LABEL:
        return None, [f"prediction ({task_type} projects take no predictions)"]
    if isinstance(probabilities, dict) and probabilities:
        strangers = sorted(str(label) for label in probabilities if label not in labels)
        if strangers:
            return None, [f"prediction: {', '.join(strangers)} not a label of this project"]
        if all(_number(p) and 0 <= p <= 1 for p in probabilities.values()):
            return [float(probabilities.get(label, 0.0)) for label in labels], []
    value, unsupported = _result_value(results, task_type=task_type)
    if value is None:
        return None, [f"prediction: {kind}" for kind in unsupported] or ["prediction without a choice"]
    if value not in labels:
        return None, [f"prediction: {value!r} is not a label of this project"]
    probability = 1.0
    for result in results:
        if isinstance(result, dict) and isinstance(result.get("score"), int | float):
            probability = float(result["score"])
    if isinstance(score, int | float) and not isinstance(score, bool) and probability == 1.0:
        probability = float(score)
    probability = min(max(probability, 0.0), 1.0)
    others = (1.0 - probability) / (len(labels) - 1) if len(labels) > 1 else 0.0
    return [probability if label == value else others for label in labels], []


def labelstudio_row_labels(
    payload: dict[str, Any], *, task_type: str, labels: list[str], text: str | None, row: int
) -> RowLabels:
    """A task's annotations (cancelled ones as skips, ``ground_truth`` as gold too) and predictions."""
    found = RowLabels()
    for number, annotation in enumerate(payload.get("annotations") or [], start=1):
        if not isinstance(annotation, dict):
            found.unsupported.append(f"annotation {number}: not an object")
            continue
        annotator = annotator_name(annotation.get("completed_by"))
        stamps = {key: annotation.get(key) if isinstance(annotation.get(key), str) else None
                  for key in ("created_at", "updated_at")}  # fmt: skip
        if annotation.get("was_cancelled"):
            found.annotations.append(ImportedAnnotation(annotator, None, row, skipped=True, **stamps))
            continue
        results = annotation.get("result") if isinstance(annotation.get("result"), list) else []
        try:
            value, unsupported = _result_value(results, task_type=task_type)
        except LabelError as exc:
            raise LabelError(f"row {row}: annotation {number}: {exc}") from None
        found.unsupported.extend(f"annotation {number}: {kind}" for kind in unsupported)
        if value is None:
            if not unsupported:
                found.unsupported.append(f"annotation {number}: no result")
            continue
        value = _checked(value, task_type=task_type, labels=labels, text=text, row=row, what=f"annotation {number}")
        found.annotations.append(ImportedAnnotation(annotator, value, row, **stamps))
        if annotation.get("ground_truth"):
            found.gold = value
    if found.gold is None and payload.get("gold") is not None:
        found.gold = _checked(payload["gold"], task_type=task_type, labels=labels, text=text, row=row, what="meta.gold")
    for number, prediction in enumerate(payload.get("predictions") or [], start=1):
        if not isinstance(prediction, dict):
            found.unsupported.append(f"prediction {number}: not an object")
            continue
        results = prediction.get("result") if isinstance(prediction.get("result"), list) else []
        try:
            probabilities, unsupported = _prediction(
                results,
                score=prediction.get("score"),
                task_type=task_type,
                labels=labels,
                probabilities=prediction.get("probabilities"),
            )
        except LabelError as exc:
            raise LabelError(f"row {row}: prediction {number}: {exc}") from None
        found.unsupported.extend(unsupported)
        if probabilities is not None:
            model = str(prediction.get("model_version") or "").strip()[:200] or "Label Studio"
            found.predictions[model] = probabilities
    return found


# -- mapped columns (CSV, JSON Lines, Parquet, Doccano) -------------------------------------
def _cell_value(cell: Any, *, task_type: str) -> Any:
    """A label cell as our value: a label, a list of labels (a JSON list or ``a;b`` in a text
    cell) or spans (``{start, end, label}`` objects or Doccano's ``[start, end, label]``)."""
    if isinstance(cell, str) and task_type != "classification" and cell.strip()[:1] in ("[", "{"):
        with contextlib.suppress(json.JSONDecodeError):  # a label that merely starts with a bracket
            cell = json.loads(cell)
    if task_type in SINGLE_LABEL:
        if isinstance(cell, list) and len(cell) == 1:  # Doccano writes a one-label list
            cell = cell[0]
        return cell if isinstance(cell, str | list | dict) else str(cell)
    if task_type == "multilabel":
        if isinstance(cell, str):
            return [part.strip() for part in cell.split(";") if part.strip()]
        return cell if isinstance(cell, list) else [str(cell)]
    if isinstance(cell, list):
        return [{"start": s[0], "end": s[1], "label": s[2]} if isinstance(s, list) and len(s) == 3 else s for s in cell]
    return cell


def blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def column_row_labels(
    record: dict[str, Any], mapping: LabelMapping, *, task_type: str, labels: list[str], text: str | None, row: int
) -> RowLabels:
    """The label, its annotator and the gold answer a row's mapped columns hold; takes them out of ``record``."""
    found = RowLabels()
    label = record.pop(mapping.label_column, None) if mapping.label_column else None
    annotator = record.pop(mapping.annotator_column, None) if mapping.annotator_column else None
    gold = record.pop(mapping.gold_column, None) if mapping.gold_column else None
    if not blank(label):
        value = _cell_value(label, task_type=task_type)
        value = _checked(value, task_type=task_type, labels=labels, text=text, row=row, what=mapping.label_column)
        name = UPLOADER if blank(annotator) else str(annotator).strip()
        found.annotations.append(ImportedAnnotation(name, value, row))
    if not blank(gold):
        value = _cell_value(gold, task_type=task_type)
        found.gold = _checked(value, task_type=task_type, labels=labels, text=text, row=row, what=mapping.gold_column)
    return found
