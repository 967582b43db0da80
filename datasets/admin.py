from django.contrib import admin

from datasets.models import Batch, DatasetVersion, Item


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["original_name", "project", "status", "progress", "attempts", "rows_added", "created_at"]
    list_filter = ["status", "format", "accepted_anyway"]
    list_select_related = ["project"]
    search_fields = ["original_name", "file_sha256"]
    readonly_fields = [field.name for field in Batch._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Versions and items are immutable: the admin shows them, it does not change them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DatasetVersion)
class DatasetVersionAdmin(ReadOnlyAdmin):
    list_display = ["project", "number", "item_count", "added_count", "duplicate_count", "created_at"]
    list_select_related = ["project"]


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "project", "external_id", "content_hash", "batch"]
    list_select_related = ["project"]
    search_fields = ["external_id", "content_hash"]
    show_full_result_count = False
