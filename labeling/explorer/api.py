"""The items API with the explorer's label filters: the data floor's list, narrowed by labels."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from datasets.api import ItemListApi
from datasets.models import Item
from datasets.serializers import ItemPageSerializer
from labeling.explorer.selectors import LabelFilters, items_label_filtered
from labeling.explorer.serializers import ExplorerItemQuerySerializer
from projects.selectors import ProjectAccess, RoleRequired


class ExplorerItemListApi(ItemListApi):
    """``GET /api/projects/{id}/items/``: a version's items, filtered, a keyset page at a time."""

    query_serializer_class = ExplorerItemQuerySerializer

    @extend_schema(parameters=[ExplorerItemQuerySerializer], responses=ItemPageSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        return super().get(request, project_id)

    def items(self, *, access: ProjectAccess, number: int, params: dict[str, Any]) -> tuple[QuerySet[Item], bool]:
        items, filtered = super().items(access=access, number=number, params=params)
        labels = LabelFilters(label=params.get("label"), final=params.get("final"), annotator=params.get("annotator"))
        if not labels.any:
            return items, filtered
        if access.is_annotator:  # other people's labels would bias an annotator
            raise RoleRequired("filters by label, final label or annotator need the role manager or reviewer")
        return items_label_filtered(items, project=access.project, filters=labels), True
