import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.errors import DomainError
from datasets.keyset import Cursor, cursor_parse
from datasets.models import Augmentation, DatasetVersion, Item, ItemImage
from datasets.selectors import SPLIT_FILTERS

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 500
# Parameters DRF itself reads (the renderer's ?format=): allowed beside a list's own.
FRAMEWORK_PARAMETERS = frozenset({"format"})
METADATA_FILTER = re.compile(r"^([\w\- .]{1,100})=(.*)$", re.DOTALL)
METADATA_SYNTAX = "metadata must look like key=value (key: letters, digits, space, - _ .)"


def metadata_filter_parse(raw: str) -> tuple[str, str]:
    """``channel=email`` -> ("channel", "email"), as the disagreements endpoint reads it."""
    found = METADATA_FILTER.match(raw)
    if found is None:
        raise DomainError(METADATA_SYNTAX)
    return found.group(1), found.group(2)


class VersionSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(source="parent.number", allow_null=True, read_only=True)
    batch = serializers.SerializerMethodField()

    class Meta:
        model = DatasetVersion
        fields = ["number", "item_count", "added_count", "duplicate_count", "parent", "batch", "created_at"]

    def get_batch(self, version: DatasetVersion) -> str | None:
        batch = getattr(version, "batch", None)
        return str(batch.pk) if batch else None


class ItemAugmentationSerializer(serializers.Serializer):
    """How an augmented item was made, as the exports carry it."""

    method = serializers.CharField()
    params = serializers.JSONField()
    seed = serializers.IntegerField(allow_null=True)
    generation = serializers.IntegerField()
    library = serializers.CharField()
    library_version = serializers.CharField()
    config_hash = serializers.CharField()
    label_policy = serializers.CharField()


class ItemSerializer(serializers.ModelSerializer):
    # Annotated by ``items_with_splits``; null when the item is in no split (not split yet, or left out).
    split = serializers.CharField(read_only=True, allow_null=True, default=None)
    source = serializers.IntegerField(source="source_id", read_only=True, allow_null=True)
    root = serializers.SerializerMethodField()
    augmentation = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = ["id", "external_id", "data", "metadata", "split", "source", "root", "augmentation"]

    @staticmethod
    def _lineage(item: Item) -> Augmentation | None:
        # Read with ``select_related("augmentation")``: no query per row.
        return getattr(item, "augmentation", None) if item.source_id is not None else None

    def get_root(self, item: Item) -> int | None:
        lineage = self._lineage(item)
        return lineage.root_id if lineage else None

    @extend_schema_field(ItemAugmentationSerializer(allow_null=True))
    def get_augmentation(self, item: Item) -> dict[str, Any] | None:
        lineage = self._lineage(item)
        return ItemAugmentationSerializer(lineage).data if lineage else None


class ItemQuerySerializer(serializers.Serializer):
    """The items list's query string. A parameter it does not know, or one given twice, is a
    400: a misspelt filter must not quietly answer the whole list."""

    version = serializers.CharField(
        required=False, allow_blank=True, help_text="version number; the newest when left out"
    )
    external_id = serializers.CharField(required=False, max_length=255, help_text="only items with this external id")
    metadata = serializers.CharField(
        required=False, max_length=400, help_text="a slice: key=value of the items' metadata, e.g. channel=email"
    )
    batch = serializers.UUIDField(required=False, help_text="only items that came with this batch")
    split = serializers.ChoiceField(
        choices=SPLIT_FILTERS, required=False, help_text="only this split's items ('none': in no split)"
    )
    augmented = serializers.ChoiceField(
        choices=["true", "false"], required=False, help_text="true: only augmented items; false: only originals"
    )
    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text="text search: PostgreSQL full-text (web search syntax); a case-insensitive substring on SQLite",
    )
    cursor = serializers.CharField(required=False, help_text="from a page's next or previous link; 'last' for the end")
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        default=DEFAULT_PAGE_SIZE,
        help_text=f"at most {MAX_PAGE_SIZE}",
    )

    def validate_metadata(self, value: str) -> tuple[str, str]:
        try:
            return metadata_filter_parse(value)
        except DomainError as exc:
            raise serializers.ValidationError(exc.message) from None

    def validate_cursor(self, value: str) -> Cursor | None:
        try:
            return cursor_parse(value)
        except DomainError as exc:
            raise serializers.ValidationError(exc.message) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = set(self.initial_data.keys())
        unknown = sorted(given - set(self.fields) - FRAMEWORK_PARAMETERS)
        # DomainError, not ValidationError: a serializer's errors are lists, the API's "detail" is one message.
        if unknown:
            raise DomainError(f"unknown parameter {', '.join(unknown)}; known: {', '.join(sorted(self.fields))}")
        repeated = sorted(key for key in given if len(self.initial_data.getlist(key)) > 1)
        if repeated:
            raise DomainError(f"give {', '.join(repeated)} once")
        return attrs


class ItemPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        allow_null=True, help_text="the version's item count; null when filtered (a filtered list is not counted)"
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ItemSerializer(many=True)


class ImageSerializer(serializers.ModelSerializer):
    url = serializers.CharField(read_only=True)

    class Meta:
        model = ItemImage
        fields = ["sha256", "url", "original_name", "content_type", "width", "height", "size", "created_at"]


class ImageUploadSerializer(serializers.Serializer):
    file = serializers.ListField(child=serializers.FileField(), help_text="one or more JPEG, PNG, GIF or WebP files")


class LineageNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    source = serializers.IntegerField(allow_null=True)
    generation = serializers.IntegerField()
    method = serializers.CharField()
    params = serializers.JSONField(allow_null=True)
    seed = serializers.IntegerField(allow_null=True)
    library = serializers.CharField()
    library_version = serializers.CharField()
    config_hash = serializers.CharField()
    label_policy = serializers.CharField()
    batch = serializers.CharField(allow_null=True)
    job = serializers.CharField(allow_null=True)
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField(allow_null=True)


class LineageSerializer(serializers.Serializer):
    item = LineageNodeSerializer()
    root = serializers.IntegerField()
    ancestors = LineageNodeSerializer(many=True)
    descendants = LineageNodeSerializer(many=True)
