"""Checking an annotation's value against the project's task type and labels. No Django."""

from typing import Any


class InvalidValue(ValueError):
    pass


MAX_SPANS = 1000


def check_value(value: Any, *, task_type: str, labels: list[str], text: str | None) -> Any:
    """Return the value in its stored form, or raise with a message a person can act on.

    classification and image: one label; multilabel: a list of distinct labels; spans:
    a list of ``{start, end, label}`` character offsets inside the text, start < end.
    """
    allowed = set(labels)
    if task_type in ("classification", "image"):
        if not isinstance(value, str) or value not in allowed:
            raise InvalidValue(f"value must be one of the project's labels: {', '.join(labels)}")
        return value
    if task_type == "multilabel":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidValue("value must be a list of labels")
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise InvalidValue(f"not a label of this project: {', '.join(map(repr, unknown))}")
        if len(set(value)) != len(value):
            raise InvalidValue("a label appears twice in the list")
        return sorted(value, key=labels.index)
    if task_type == "spans":
        return _check_spans(value, allowed=allowed, text=text or "")
    raise InvalidValue(f"unknown task type {task_type!r}")


def _check_spans(value: Any, *, allowed: set[str], text: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InvalidValue("value must be a list of {start, end, label} spans")
    if len(value) > MAX_SPANS:
        raise InvalidValue(f"at most {MAX_SPANS} spans")
    spans = []
    for position, span in enumerate(value, start=1):
        if not isinstance(span, dict) or set(span) != {"start", "end", "label"}:
            raise InvalidValue(f"span {position}: must be an object with exactly start, end and label")
        start, end, label = span["start"], span["end"], span["label"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            raise InvalidValue(f"span {position}: start and end must be whole numbers")
        if not 0 <= start < end <= len(text):
            raise InvalidValue(f"span {position}: needs 0 <= start < end <= {len(text)} (the text's length)")
        if label not in allowed:
            raise InvalidValue(f"span {position}: {label!r} is not a label of this project")
        spans.append({"start": start, "end": end, "label": label})
    keys = [(s["start"], s["end"], s["label"]) for s in spans]
    if len(set(keys)) != len(keys):
        raise InvalidValue("the same span appears twice")
    return sorted(spans, key=lambda s: (s["start"], s["end"], s["label"]))
