"""The items API with the explorer's label filters and sort orders: the data floor's list,
narrowed by labels and paged in the order asked for."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from datasets.api import ItemListApi
from datasets.models import DatasetVersion, Item
from datasets.selectors import version_get, version_latest
from datasets.serializers import ItemPageSerializer, ItemSerializer
from labeling.explorer.selectors import LabelFilters, items_label_filtered
from labeling.explorer.serializers import ExplorerItemQuerySerializer
from labeling.explorer.sorting import SORTS, sorted_items, sorted_page
from projects.models import Project
from projects.selectors import ProjectAccess, RoleRequired, project_access


def label_filters(params: dict[str, Any]) -> LabelFilters:
    return LabelFilters(
        label=params.get("label"),
        final=params.get("final"),
        annotator=params.get("annotator"),
        disagreement=bool(params.get("disagreement")),
        label_issue=bool(params.get("label_issue")),
    )


class ExplorerItemListApi(ItemListApi):
    """``GET /api/projects/{id}/items/``: a version's items, filtered, a keyset page at a time."""

    query_serializer_class = ExplorerItemQuerySerializer

    @extend_schema(parameters=[ExplorerItemQuerySerializer], responses=ItemPageSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        access = project_access(user=request.user, project_id=project_id)
        project = access.project
        query = self.query_serializer_class(data=request.query_params, context={"project": project})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        raw = params.get("version")
        version = version_latest(project=project) if raw in (None, "") else self.version(project, raw)
        if version is None:
            return Response({"count": 0, "next": None, "previous": None, "results": []})
        items, filtered = self.items(access=access, number=version.number, params=params)
        sort = params["sort"]
        items = sorted_items(items, project_id=project.pk, sort=sort)
        page = sorted_page(items, sort=sort, cursor=params.get("cursor"), size=params["page_size"])
        return Response(
            {
                # Sorting by the external id lists only the items that have one: not the version's count.
                "count": version.item_count if not filtered and SORTS[sort][0] == "id" else None,
                "next": self.link(request, page.next_cursor),
                "previous": self.link(request, page.previous_cursor),
                "results": ItemSerializer(page.rows, many=True).data,
            }
        )

    @staticmethod
    def version(project: Project, raw: str) -> DatasetVersion:
        try:
            return version_get(project=project, number=int(raw))
        except ValueError:
            raise Http404 from None

    def items(self, *, access: ProjectAccess, number: int, params: dict[str, Any]) -> tuple[QuerySet[Item], bool]:
        items, filtered = super().items(access=access, number=number, params=params)
        labels = label_filters(params)
        if not labels.any:
            return items, filtered
        if access.is_annotator:  # other people's labels would bias an annotator
            raise RoleRequired(
                "filters that read labels (label, final, annotator, disagreement, label_issue) need the role "
                "manager or reviewer"
            )
        return items_label_filtered(items, project=access.project, filters=labels), True
