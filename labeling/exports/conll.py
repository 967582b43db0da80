"""CoNLL for span projects: one token a line, a BIO tag column per annotator."""

import re
from collections.abc import Iterable, Iterator
from typing import Any

from labeling.exports.records import Chunk, ExportContext, Record, content_of

TOKEN = re.compile(r"\S+")
NO_ANNOTATION = "_"


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Tokens split on whitespace, each with its character offsets [start, end)."""
    return [(match.group(), match.start(), match.end()) for match in TOKEN.finditer(text)]


def bio_tags(tokens: list[tuple[str, int, int]], spans: list[Record]) -> list[str]:
    """BIO tags of the tokens from one annotator's spans.

    A token belongs to a span when their characters overlap; the first token of a span
    is ``B-``, the rest ``I-``. Where spans overlap, the one that starts first keeps
    the token (BIO cannot nest).
    """
    tags = ["O"] * len(tokens)
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        inside = [
            index
            for index, (_, start, end) in enumerate(tokens)
            if start < span["end"] and end > span["start"] and tags[index] == "O"
        ]
        for position, index in enumerate(inside):
            tags[index] = ("B-" if position == 0 else "I-") + span["label"]
    return tags


def _comment(value: Any) -> str:
    return " ".join(str(value).split())


def write_conll(chunks: Iterable[Chunk], context: ExportContext) -> Iterator[bytes]:
    """Token, start, end, then one BIO column per annotator (``_`` where they did not
    annotate the item); a ``# id = ...`` line before each item, a blank line after it."""
    annotators = list(context.annotators)
    yield ("# columns = token start end " + " ".join(annotators) + "\n\n").encode()
    for chunk in chunks:
        lines: list[str] = []
        for record in chunk:
            lines.append(f"# id = {record['id']}")
            if record["external_id"]:
                lines.append(f"# external_id = {_comment(record['external_id'])}")
            if record.get("split"):
                lines.append(f"# split = {record['split']}")
            tokens = tokenize(content_of(record, "text") or "")
            by_annotator = {a["annotator"]: bio_tags(tokens, a["value"] or []) for a in record["annotations"]}
            for index, (token, start, end) in enumerate(tokens):
                tags = [by_annotator[name][index] if name in by_annotator else NO_ANNOTATION for name in annotators]
                lines.append("\t".join([token, str(start), str(end), *tags]))
            lines.append("")
        yield ("\n".join(lines) + "\n").encode()
