"""Agreement and consensus statistics over annotation arrays: pure numpy and scipy, no Django.

Input is long format, one row per (item, annotator) current annotation, with items,
annotators and labels coded densely from 0. Reports are JSON-safe dicts: a figure that is
undefined is None and ``report["reasons"][key]`` says why.
"""

from labeling.agreement.alpha import krippendorff_alpha
from labeling.agreement.classification import classification_report
from labeling.agreement.consensus import (
    DawidSkeneResult,
    MajorityResult,
    dawid_skene,
    majority_vote,
    per_item_agreement,
)
from labeling.agreement.kappa import fleiss_kappa, gwet_ac, pairwise_kappa
from labeling.agreement.multilabel import masi_distances, multilabel_report
from labeling.agreement.spans import span_report

__all__ = [
    "DawidSkeneResult",
    "MajorityResult",
    "classification_report",
    "dawid_skene",
    "fleiss_kappa",
    "gwet_ac",
    "krippendorff_alpha",
    "majority_vote",
    "masi_distances",
    "multilabel_report",
    "pairwise_kappa",
    "per_item_agreement",
    "span_report",
]
