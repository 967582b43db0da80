from django.contrib import admin

from quality.models import Batch, ValidationSuite


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["original_name", "project", "status", "progress", "attempts", "rows_added", "created_at"]
    list_filter = ["status", "format", "accepted_anyway"]
    list_select_related = ["project"]
    search_fields = ["original_name", "file_sha256"]
    readonly_fields = [field.name for field in Batch._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ValidationSuite)
class ValidationSuiteAdmin(admin.ModelAdmin):
    """Read-only: suites change through the editor or the API, which check them first."""

    list_display = ["project", "updated_by", "updated_at"]
    list_select_related = ["project", "updated_by"]
    readonly_fields = [field.name for field in ValidationSuite._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False
