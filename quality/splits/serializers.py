from rest_framework import serializers

from datasets.models import Split

MAX_SEED = 2**63 - 1


class RatiosSerializer(serializers.Serializer):
    train = serializers.FloatField(min_value=0, max_value=1)
    dev = serializers.FloatField(min_value=0, max_value=1)
    test = serializers.FloatField(min_value=0, max_value=1)


class SplitRequestSerializer(serializers.Serializer):
    ratios = RatiosSerializer()
    seed = serializers.IntegerField(min_value=0, max_value=MAX_SEED, required=False, default=0)


class SplitSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    ratios = serializers.DictField(child=serializers.FloatField(), read_only=True)
    sizes = serializers.SerializerMethodField()
    left_out = serializers.SerializerMethodField()
    balance = serializers.SerializerMethodField()

    class Meta:
        model = Split
        fields = [
            "version", "ratios", "seed", "status", "progress", "error",
            "sizes", "left_out", "balance", "created_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_sizes(self, split: Split) -> dict[str, int] | None:
        return split.report.get("sizes")

    def get_left_out(self, split: Split) -> int | None:
        return split.report.get("left_out")

    def get_balance(self, split: Split) -> dict | None:
        return split.report.get("balance")
