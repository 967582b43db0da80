"""REST shapes for projects, members, versions and items. No logic: services hold it."""

from rest_framework import serializers

from projects.models import LabelScale, Membership, Project, QueueOrder, Role, Suggestions, TaskType


class LabelSerializer(serializers.Serializer):
    name = serializers.CharField()
    hotkey = serializers.CharField(allow_blank=True)
    color = serializers.CharField()


class ProjectSerializer(serializers.ModelSerializer):
    """A project as its caller sees it. The caller's role and the newest version come from the
    context (``role``, ``latest_version``, ``item_count``) for one project, or from the
    annotations of ``projects.selectors.projects_listed`` for a list."""

    labels = LabelSerializer(many=True, read_only=True)
    role = serializers.SerializerMethodField()
    item_count = serializers.SerializerMethodField()
    latest_version = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id", "name", "task_type", "labels", "label_scale", "overlap", "inherit_check_share", "guidelines",
            "suggestions", "suggestion_holdout", "queue_order",
            "created_at", "role", "item_count", "latest_version",
        ]  # fmt: skip

    def _given(self, project: Project, key: str, annotation: str) -> object:
        return self.context[key] if key in self.context else getattr(project, annotation, None)

    def get_role(self, project: Project) -> str | None:
        return self._given(project, "role", "member_role")

    def get_item_count(self, project: Project) -> int:
        return self._given(project, "item_count", "latest_item_count") or 0

    def get_latest_version(self, project: Project) -> int | None:
        return self._given(project, "latest_version", "latest_version_number")


class ProjectWriteSerializer(serializers.Serializer):
    """Labels are strings or ``{name, hotkey, color}`` objects; the service checks them."""

    name = serializers.CharField(max_length=200)
    task_type = serializers.ChoiceField(choices=TaskType.choices)
    labels = serializers.JSONField()
    label_scale = serializers.ChoiceField(choices=LabelScale.choices, default=LabelScale.NOMINAL)
    overlap = serializers.IntegerField(min_value=1, max_value=50, default=1)
    inherit_check_share = serializers.FloatField(
        min_value=0,
        max_value=1,
        default=0.05,
        help_text="of augmented items that inherit their source's label, the share still sent to people to check",
    )
    guidelines = serializers.CharField(allow_blank=True, default="", max_length=100_000)
    suggestions = serializers.ChoiceField(
        choices=Suggestions.choices, required=False, help_text="show the newest model's suggestion while labeling"
    )
    suggestion_holdout = serializers.FloatField(
        min_value=0, max_value=1, required=False, help_text="share of items shown without the suggestion"
    )
    queue_order = serializers.ChoiceField(
        choices=QueueOrder.choices, required=False, help_text="uncertainty: the newest model's smallest margin first"
    )


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")

    class Meta:
        model = Membership
        fields = ["username", "role", "created_at"]


class MembershipWriteSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)
