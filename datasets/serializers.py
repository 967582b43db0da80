from rest_framework import serializers

from datasets.models import DatasetVersion, Item, ItemImage


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
    class Meta:
        model = Item
        fields = ["id", "external_id", "data", "metadata"]


class ImageSerializer(serializers.ModelSerializer):
    url = serializers.CharField(read_only=True)

    class Meta:
        model = ItemImage
        fields = ["sha256", "url", "original_name", "content_type", "width", "height", "size", "created_at"]


class ImageUploadSerializer(serializers.Serializer):
    file = serializers.ListField(child=serializers.FileField(), help_text="one or more JPEG, PNG, GIF or WebP files")
