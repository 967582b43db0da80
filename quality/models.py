"""Each project's validation suite: the Great Expectations suite and the built-in checks' settings."""

from django.conf import settings
from django.db import models

from projects.models import Project


class ValidationSuite(models.Model):
    """A project's Great Expectations suite, stored as GX serializes it, and its built-in check settings."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="validation_suite")
    suite = models.JSONField(default=dict, blank=True)
    # ``quality.validation.CheckSettings`` as a dict; only the keys a person changed need be here.
    check_settings = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"suite of {self.project}"
