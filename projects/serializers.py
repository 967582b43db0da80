"""REST shapes for projects, members, versions and items. No logic: services hold it."""

from rest_framework import serializers

from projects.models import LabelScale, Membership, Project, Role, TaskType


class LabelSerializer(serializers.Serializer):
    name = serializers.CharField()
    hotkey = serializers.CharField(allow_blank=True)
    color = serializers.CharField()


class ProjectSerializer(serializers.ModelSerializer):
    labels = LabelSerializer(many=True, read_only=True)
    role = serializers.SerializerMethodField()
    item_count = serializers.SerializerMethodField()
    latest_version = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id", "name", "task_type", "labels", "label_scale", "overlap", "guidelines",
            "created_at", "role", "item_count", "latest_version",
        ]  # fmt: skip

    def get_role(self, project: Project) -> str | None:
        return getattr(project, "caller_role", None)

    def get_item_count(self, project: Project) -> int:
        return getattr(project, "latest_item_count", None) or 0

    def get_latest_version(self, project: Project) -> int | None:
        return getattr(project, "latest_version_number", None)


class ProjectWriteSerializer(serializers.Serializer):
    """Labels are strings or ``{name, hotkey, color}`` objects; the service checks them."""

    name = serializers.CharField(max_length=200)
    task_type = serializers.ChoiceField(choices=TaskType.choices)
    labels = serializers.JSONField()
    label_scale = serializers.ChoiceField(choices=LabelScale.choices, default=LabelScale.NOMINAL)
    overlap = serializers.IntegerField(min_value=1, max_value=50, default=1)
    guidelines = serializers.CharField(allow_blank=True, default="", max_length=100_000)


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")

    class Meta:
        model = Membership
        fields = ["username", "role", "created_at"]


class MembershipWriteSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)
