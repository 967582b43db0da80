"""Per-project settings of the built-in checks: thresholds and methods, stored as JSON."""

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from quality.validation.errors import SuiteError

SEVERITIES = ("critical", "warning", "info")
NUMERIC_METHODS = ("auto", "ks", "wasserstein", "psi")
CATEGORICAL_METHODS = ("auto", "chisquare", "z", "jensenshannon", "psi")


@dataclass
class CheckSettings:
    """Evidently's defaults: statistical tests for small references, distances for large ones."""

    reference_rows: int = 5000  # sample of the current version used as the drift reference
    small_reference_rows: int = 1000  # reference up to this size: statistical tests; larger: distances
    p_value: float = 0.05
    distance_threshold: float = 0.1  # normed Wasserstein (numeric), Jensen-Shannon distance (categorical)
    numeric_method: str = "auto"  # auto | ks | wasserstein | psi
    categorical_method: str = "auto"  # auto | chisquare | z | jensenshannon | psi
    psi_threshold: float = 0.2
    drift_severity: str = "warning"  # drift and class balance
    duplicate_severity: str = "warning"  # duplicates within the batch / against the dataset
    schema_severity: str = "critical"  # new / missing / retyped columns
    empty_content_severity: str = "critical"
    label_severity: str = "critical"  # label values outside the project's labels
    max_categories: int = 50  # a text column with more distinct values is not drift-tested as categorical
    histogram_bins: int = 10  # bins of numeric drift histograms (and PSI), from the reference's quantiles
    vocabulary_size: int = 200  # most frequent reference tokens compared (more makes small batches look shifted)
    vocabulary_threshold: float = 0.2  # Jensen-Shannon distance of token frequencies that counts as a shift
    batch_sample_rows: int = 100_000  # drift compares the reference with a uniform sample of this many batch rows
    check_near_duplicates: bool = True
    check_drift: bool = True

    def asdict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "CheckSettings":
        """Build from stored JSON; unknown keys or ill-typed / out-of-range values raise SuiteError."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise SuiteError("check settings must be a JSON object")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise SuiteError(f"unknown check setting(s): {', '.join(unknown)}")
        defaults = cls()
        values: dict[str, Any] = {}
        for name, value in data.items():
            expected = type(getattr(defaults, name))
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if type(value) is not expected:
                raise SuiteError(f"check setting {name!r} must be {expected.__name__}, got {value!r}")
            values[name] = value
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise SuiteError when a value is out of range."""
        counts = ("reference_rows", "small_reference_rows", "max_categories", "histogram_bins", "vocabulary_size")
        for name in (*counts, "batch_sample_rows"):
            if getattr(self, name) < 1:
                raise SuiteError(f"check setting {name!r} must be at least 1")
        if self.histogram_bins > 100:
            raise SuiteError("check setting 'histogram_bins' must be at most 100")
        for name in ("p_value", "distance_threshold", "psi_threshold", "vocabulary_threshold"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise SuiteError(f"check setting {name!r} must be a positive number")
        if self.p_value >= 1:
            raise SuiteError("check setting 'p_value' must be below 1")
        if self.numeric_method not in NUMERIC_METHODS:
            raise SuiteError(f"numeric_method must be one of {', '.join(NUMERIC_METHODS)}")
        if self.categorical_method not in CATEGORICAL_METHODS:
            raise SuiteError(f"categorical_method must be one of {', '.join(CATEGORICAL_METHODS)}")
        for name in (
            "drift_severity",
            "duplicate_severity",
            "schema_severity",
            "empty_content_severity",
            "label_severity",
        ):
            if getattr(self, name) not in SEVERITIES:
                raise SuiteError(f"check setting {name!r} must be one of {', '.join(SEVERITIES)}")
