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
