from django.contrib import admin

from labeling.models import (
    Adjudication,
    Annotation,
    AnnotationRevision,
    Assignment,
    GoldLabel,
    ItemState,
    PredictionSet,
    QueueSync,
    ReviewResult,
)


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


@admin.register(Adjudication)
class AdjudicationAdmin(admin.ModelAdmin):
    """Append-only: decisions are kept as made."""

    list_display = ["item_id", "project", "action", "value", "reviewer", "created_at"]
    list_select_related = ["project", "reviewer"]
    list_filter = ["action"]
    readonly_fields = ["item", "project", "reviewer", "action", "value", "extra_labels", "note", "created_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(GoldLabel)
class GoldLabelAdmin(admin.ModelAdmin):
    list_display = ["item_id", "project", "value", "set_by", "updated_at"]
    list_select_related = ["project", "set_by"]
    raw_id_fields = ["item"]


@admin.register(PredictionSet)
class PredictionSetAdmin(admin.ModelAdmin):
    list_display = ["model_name", "project", "count", "created_by", "created_at"]
    list_select_related = ["project", "created_by"]
    readonly_fields = ["project", "model_name", "labels", "created_by", "count", "created_at"]


@admin.register(ReviewResult)
class ReviewResultAdmin(admin.ModelAdmin):
    list_display = ["project", "version", "kind", "status", "computed_at"]
    list_filter = ["kind", "status"]
    exclude = ["result"]  # can be megabytes
    readonly_fields = ["project", "version", "kind", "fingerprint", "status", "error", "started_at", "computed_at"]
