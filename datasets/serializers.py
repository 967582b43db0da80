from rest_framework import serializers

from datasets.models import DatasetVersion, Item, ItemImage
from datasets.selectors import SPLIT_FILTERS


class VersionSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(source="parent.number", allow_null=True, read_only=True)
    batch = serializers.SerializerMethodField()

    class Meta:
        model = DatasetVersion
        fields = ["number", "item_count", "added_count", "duplicate_count", "parent", "batch", "created_at"]

    def get_batch(self, version: DatasetVersion) -> str | None:
        batch = getattr(version, "batch", None)
        return str(batch.pk) if batch else None


class ItemSerializer(serializers.ModelSerializer):
    # Annotated by ``items_with_splits``; null when the item is in no split (not split yet, or left out).
    split = serializers.CharField(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Item
        fields = ["id", "external_id", "data", "metadata", "split"]


class ItemQuerySerializer(serializers.Serializer):
    """The query string of the item list; a parameter it does not know is an error, not ignored."""

    KNOWN = frozenset({"version", "external_id", "split", "page", "format"})

    # A version that is malformed answers 404 like a missing one, as a version in the path does.
    version = serializers.CharField(required=False)
    external_id = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    split = serializers.ChoiceField(choices=SPLIT_FILTERS, required=False)
    page = serializers.CharField(required=False)
    format = serializers.CharField(required=False)

    def validate(self, attrs: dict) -> dict:
        unknown = sorted(set(self.initial_data) - self.KNOWN)
        if unknown:
            raise serializers.ValidationError({name: ["unknown query parameter"] for name in unknown})
        return attrs


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
