"""A project's validation suite and check settings: read, suggested, and written.

Suites are checked by ``quality.validation`` without importing great_expectations, so the
web process stays quick; anything the check refuses is a 400 with its reason and is
never stored.
"""

import contextlib
import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from config.errors import Conflict, DomainError
from projects.models import Project
from quality.models import ValidationSuite
from quality.suites.selectors import check_settings_for, check_settings_from, reference_sample, suite_get
from quality.validation import CheckSettings, SuiteError, suite_from_form, suite_normalize, suite_suggest


def suite_name(project: Project) -> str:
    return f"project-{project.pk}"


def suite_read(*, project: Project) -> dict:
    """The stored suite, or an empty one, as GX serializes it."""
    stored = suite_get(project=project)
    if stored is not None and stored.suite:
        return stored.suite
    return suite_normalize({"name": suite_name(project), "expectations": []}, name=suite_name(project))


def check_settings_read(*, project: Project) -> CheckSettings:
    return check_settings_for(stored=suite_get(project=project))


def suite_propose(*, project: Project) -> dict:
    """A suite inferred from a sample of the current version, for a person to review before saving."""
    settings = check_settings_read(project=project)
    frame = reference_sample(project=project, rows=settings.reference_rows)
    if frame is None:
        raise Conflict("the project has no dataset version yet: there is nothing to suggest a suite from")
    return suite_suggest(frame, name=suite_name(project), content_column=project.content_column)


def _normalized(check: Any) -> Any:
    try:
        return check()
    except SuiteError as exc:
        raise DomainError(str(exc)) from None


def _store(*, project: Project, user: AbstractBaseUser, **fields: Any) -> ValidationSuite:
    with transaction.atomic():
        stored, _ = ValidationSuite.objects.select_for_update().get_or_create(project=project)
        for name, value in fields.items():
            setattr(stored, name, value)
        stored.updated_by = user
        stored.save()
    return stored


def suite_set(*, project: Project, user: AbstractBaseUser, suite: dict | str) -> ValidationSuite:
    """Store a suite given as GX JSON (text or parsed); a suite GX would refuse is a 400, never stored."""
    if not isinstance(suite, dict | str):
        raise DomainError("the suite must be a JSON object, as Great Expectations serializes it")
    if isinstance(suite, str):
        with contextlib.suppress(ValueError):  # malformed JSON: suite_normalize names the problem
            suite = json.loads(suite)
    named = isinstance(suite, dict) and isinstance(suite.get("name"), str) and suite["name"].strip()
    normalized = _normalized(lambda: suite_normalize(suite, name=None if named else suite_name(project)))
    return _store(project=project, user=user, suite=normalized)


def suite_set_from_form(*, project: Project, user: AbstractBaseUser, rows: list[dict[str, Any]]) -> ValidationSuite:
    """Store the suite the form's rows describe (``{type, severity, <params>}`` each)."""
    normalized = _normalized(lambda: suite_from_form(rows, name=suite_name(project)))
    return _store(project=project, user=user, suite=normalized)


def check_settings_set(*, project: Project, user: AbstractBaseUser, data: Any) -> ValidationSuite:
    """Store the built-in checks' settings; unknown keys or bad values are a 400."""
    settings = _normalized(lambda: check_settings_from(data))
    return _store(project=project, user=user, check_settings=settings.asdict())
