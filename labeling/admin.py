from django.contrib import admin

from labeling.models import Annotation, AnnotationRevision, Assignment, ItemState, QueueSync


class RevisionInline(admin.TabularInline):
    model = AnnotationRevision
    extra = 0
    readonly_fields = ["number", "request_uuid", "value", "created_at"]
    can_delete = False


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["uuid", "project", "item_id", "annotator", "revision", "updated_at"]
    list_select_related = ["project", "annotator"]
    list_filter = ["project"]
    readonly_fields = ["uuid", "item", "project", "annotator", "value", "revision", "created_at", "updated_at"]
    inlines = [RevisionInline]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["item_id", "project", "annotator", "status", "leased_until", "updated_at"]
    list_select_related = ["project", "annotator"]
    list_filter = ["status"]
    raw_id_fields = ["item"]


@admin.register(ItemState)
class ItemStateAdmin(admin.ModelAdmin):
    list_display = ["item_id", "project", "submitted", "held", "is_open", "started", "priority"]
    list_filter = ["is_open", "started"]
    raw_id_fields = ["item"]
    show_full_result_count = False


@admin.register(QueueSync)
class QueueSyncAdmin(admin.ModelAdmin):
    list_display = ["project", "version_number"]
