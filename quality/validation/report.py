"""The result of validating one batch: JSON-safe results, one per expectation or check."""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ValidationReport:
    """``results`` items have the keys of ``result_dict``; ``passed`` means no failed critical result."""

    results: list[dict[str, Any]] = field(default_factory=list)
    passed: bool = True
    summary: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_results(cls, results: list[dict[str, Any]], *, rows: int) -> "ValidationReport":
        failed = [r for r in results if not r["success"]]
        critical = [r for r in failed if r["severity"] == "critical"]
        summary = {
            "rows": rows,
            "checks": len(results),
            "failed": len(failed),
            "critical_failed": len(critical),
            "warnings": len(failed) - len(critical),
        }
        return cls(results=results, passed=not critical, summary=summary)


def result_dict(
    *,
    check: str,
    type: str,
    severity: str,
    success: bool,
    column: str | None = None,
    kwargs: dict[str, Any] | None = None,
    observed_value: Any = None,
    unexpected_count: int | None = None,
    unexpected_percent: float | None = None,
    samples: list[dict[str, Any]] | None = None,
    details: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """One result in the stored shape, every key present."""
    return {
        "check": check,
        "type": type,
        "column": column,
        "kwargs": kwargs or {},
        "severity": severity,
        "success": bool(success),
        "observed_value": observed_value,
        "unexpected_count": unexpected_count,
        "unexpected_percent": unexpected_percent,
        "samples": samples or [],
        "details": details or {},
        "error": error,
    }
