"""The validation engine: GX suites, built-in checks and drift statistics. No Django here.

The web process imports this package to check suites and settings; only ``validate_batch``
(run in the Celery worker) imports great_expectations, lazily.
"""

from quality.validation.engine import validate_batch
from quality.validation.errors import SuiteError
from quality.validation.form import FORM_EXPECTATIONS, FORM_TYPES
from quality.validation.report import ValidationReport
from quality.validation.settings import CheckSettings
from quality.validation.suggest import suite_suggest
from quality.validation.suites import suite_from_form, suite_normalize, suite_to_form

__all__ = [
    "FORM_EXPECTATIONS",
    "FORM_TYPES",
    "CheckSettings",
    "SuiteError",
    "ValidationReport",
    "suite_from_form",
    "suite_normalize",
    "suite_suggest",
    "suite_to_form",
    "validate_batch",
]
