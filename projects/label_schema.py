"""The label schema of a project: names, hotkeys and colours, checked before storing."""

import re
from typing import Any

# Keys the labeling page keeps for itself (submit, skip, undo, help, history).
RESERVED_HOTKEYS = {"s", "?", "z", " "}
DEFAULT_HOTKEYS = [*"1234567890", *"qwertyuiopadfghjklxcvbnm"]
PALETTE = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]  # fmt: skip
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LABELS = 200
MAX_LABEL_LENGTH = 100


class LabelSchemaError(ValueError):
    pass


def normalize_labels(raw: Any, *, label_scale: str) -> list[dict[str, str]]:
    """Turn ``["a", {"name": "b", "hotkey": "x"}]`` into full label dicts, or say what is wrong.

    Missing hotkeys and colours are filled in; for an interval scale every name
    must be a number, since the distance between labels is their difference.
    """
    if not isinstance(raw, list) or not raw:
        raise LabelSchemaError("labels must be a non-empty list")
    if len(raw) > MAX_LABELS:
        raise LabelSchemaError(f"at most {MAX_LABELS} labels")
    labels: list[dict[str, str]] = []
    for position, entry in enumerate(raw, start=1):
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict):
            raise LabelSchemaError(f"label {position}: must be a string or an object with a name")
        unknown = set(entry) - {"name", "hotkey", "color"}
        if unknown:
            raise LabelSchemaError(f"label {position}: unknown field(s) {', '.join(sorted(unknown))}")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise LabelSchemaError(f"label {position}: name must be a non-empty string")
        name = name.strip()
        if len(name) > MAX_LABEL_LENGTH:
            raise LabelSchemaError(f"label {position}: name longer than {MAX_LABEL_LENGTH} characters")
        hotkey = entry.get("hotkey") or ""
        if not isinstance(hotkey, str) or len(hotkey) > 1:
            raise LabelSchemaError(f"label {name!r}: hotkey must be a single character")
        if hotkey.lower() in RESERVED_HOTKEYS:
            raise LabelSchemaError(f"label {name!r}: hotkey {hotkey!r} is reserved by the labeling page")
        color = entry.get("color") or ""
        if color and (not isinstance(color, str) or not COLOR_RE.match(color)):
            raise LabelSchemaError(f"label {name!r}: color must look like #1a2b3c")
        labels.append({"name": name, "hotkey": hotkey.lower(), "color": color.lower()})

    names = [label["name"] for label in labels]
    if len(set(names)) != len(names):
        raise LabelSchemaError("label names must be unique")
    given = [label["hotkey"] for label in labels if label["hotkey"]]
    if len(set(given)) != len(given):
        raise LabelSchemaError("hotkeys must be unique")
    free = iter(key for key in DEFAULT_HOTKEYS if key not in given)
    for index, label in enumerate(labels):
        if not label["hotkey"]:
            label["hotkey"] = next(free, "")
        if not label["color"]:
            label["color"] = PALETTE[index % len(PALETTE)]
    if label_scale == "interval":
        for name in names:
            try:
                float(name)
            except ValueError:
                raise LabelSchemaError(f"an interval scale needs numeric labels; {name!r} is not a number") from None
    return labels
