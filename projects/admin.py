from django.contrib import admin

from projects.models import DatasetVersion, Item, Membership, Project


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "task_type", "label_scale", "overlap", "created_by", "created_at"]
    list_filter = ["task_type", "label_scale"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["project", "user"]


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
