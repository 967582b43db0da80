from django.contrib import admin

from quality.models import ValidationSuite


@admin.register(ValidationSuite)
class ValidationSuiteAdmin(admin.ModelAdmin):
    """Read-only: suites change through the editor or the API, which check them first."""

    list_display = ["project", "updated_by", "updated_at"]
    list_select_related = ["project", "updated_by"]
    readonly_fields = [field.name for field in ValidationSuite._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False
