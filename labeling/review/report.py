"""The agreement report as one typed object, built once from the computed JSON.

Each task type's statistics name their figures differently (alpha or token alpha, percent
agreement or span F1); this module is the one place that knows which is which, so the API
and the dashboard read fields instead of sniffing keys. No Django import: fed plain dicts.
"""

from dataclasses import dataclass
from typing import Any

from labeling.review.compute import lead_alpha

# The headline figures in the order the dashboard shows them; a report shows those it has.
FIGURE_NAMES = (
    ("Krippendorff's alpha", "krippendorff_alpha"),
    ("Token alpha", "token_alpha"),
    ("Fleiss' kappa", "fleiss_kappa"),
    ("Gwet's AC", "gwet_ac"),
    ("Binary alpha", "binary_alpha"),
    ("Span F1, exact", "f1_exact"),
    ("Span F1, overlap", "f1_overlap"),
    ("Percent agreement", "percent_agreement"),
)
NO_GOLD: dict[str, Any] = {"gold_n": 0, "gold_accuracy": None}


@dataclass(frozen=True)
class Figure:
    name: str
    key: str
    value: float | None


@dataclass(frozen=True)
class LabelAgreement:
    label: str
    agreement: float | None  # one-vs-rest alpha, or span F1 with overlap
    uses: int | None


@dataclass(frozen=True)
class AnnotatorAgreement:
    annotator: str
    n: int
    agreement: float | None  # with the others: percent agreement, or span F1 with overlap
    mean_kappa: float | None
    alpha_without: float | None
    gold_n: int
    gold_accuracy: float | None
    computed: dict[str, Any]  # the entry as the statistics computed it, every figure kept

    def as_json(self) -> dict[str, Any]:
        return {**self.computed, "gold_n": self.gold_n, "gold_accuracy": self.gold_accuracy}


@dataclass(frozen=True)
class AgreementReport:
    task_type: str
    alpha: float | None  # the alpha this task type's report leads with
    alpha_ci: tuple[float | None, float | None]
    figures: list[Figure]
    has_percent_agreement: bool
    reasons: dict[str, str]
    pairwise: list[dict[str, Any]]
    pair_figure: str  # the pairwise figure the heat map draws
    per_label: list[LabelAgreement]
    per_annotator: list[AnnotatorAgreement]
    over_time: list[dict[str, Any]]
    annotations: int
    items: int
    items_compared: int
    computed: dict[str, Any]  # the statistics' JSON as stored

    @classmethod
    def from_result(
        cls, result: dict[str, Any], *, task_type: str, gold: dict[str, dict[str, Any]]
    ) -> "AgreementReport":
        """``gold`` is each annotator's ``{gold_n, gold_accuracy}``; annotators without gold items get none."""
        lead = lead_alpha(task_type)
        spans = task_type == "spans"
        pairwise = result.get("pairwise") or []
        ci = result.get(f"{lead}_ci") or [None, None]
        return cls(
            task_type=task_type,
            alpha=result.get(lead),
            alpha_ci=(ci[0], ci[1]),
            figures=[Figure(name, key, result.get(key)) for name, key in FIGURE_NAMES if key in result],
            has_percent_agreement="percent_agreement" in result,
            reasons=dict(result.get("reasons") or {}),
            pairwise=pairwise,
            pair_figure=_pair_figure(task_type, pairwise),
            per_label=[
                LabelAgreement(
                    label=str(entry.get("label")),
                    agreement=entry.get("f1_overlap" if spans else "alpha"),
                    uses=entry.get("count"),
                )
                for entry in result.get("per_label") or []
            ],
            per_annotator=[
                _annotator(entry, gold=gold.get(entry.get("annotator"), NO_GOLD), spans=spans)
                for entry in result.get("per_annotator") or []
            ],
            over_time=result.get("over_time") or [],
            annotations=result.get("annotations") or 0,
            items=result.get("items") or 0,
            items_compared=result.get("items_compared") or 0,
            computed=result,
        )

    def as_json(self) -> dict[str, Any]:
        """The statistics' JSON with each annotator's gold accuracy merged in."""
        body = dict(self.computed)
        body["per_annotator"] = [entry.as_json() for entry in self.per_annotator]
        return body


def _pair_figure(task_type: str, pairwise: list[dict[str, Any]]) -> str:
    if task_type in ("classification", "image") or not pairwise:
        return "cohen_kappa"
    return next((k for k in ("masi_agreement", "f1_overlap", "percent_agreement") if k in pairwise[0]), "cohen_kappa")


def _annotator(entry: dict[str, Any], *, gold: dict[str, Any], spans: bool) -> AnnotatorAgreement:
    return AnnotatorAgreement(
        annotator=entry.get("annotator", ""),
        n=entry.get("n") or 0,
        agreement=entry.get("f1_overlap" if spans else "percent_agreement"),
        mean_kappa=entry.get("mean_kappa"),
        alpha_without=entry.get("alpha_without"),
        gold_n=gold["gold_n"],
        gold_accuracy=gold["gold_accuracy"],
        computed=entry,
    )
