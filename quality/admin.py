from django.contrib import admin

from quality.models import Batch


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["original_name", "project", "status", "progress", "attempts", "rows_added", "created_at"]
    list_filter = ["status", "format"]
    list_select_related = ["project"]
    search_fields = ["original_name", "file_sha256"]
    readonly_fields = [field.name for field in Batch._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False
