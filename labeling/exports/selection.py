"""Which items an export holds and how it lays them out, read from a query string.

A selection uses the filters of ``GET /api/projects/{id}/items/`` by the same names (``q``,
``metadata``, ``label``, ``final``, ``annotator``, ``batch``, ``split``, ``external_id``), parsed
by the explorer's serializer and applied by its selectors, so the explorer can link to an
export of what it shows with its own query string. An empty parameter means "any", as in the
explorer's form; an unknown one is a 400.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from rest_framework import serializers

from datasets.models import Item
from datasets.selectors import ItemFilters
from labeling.explorer.selectors import LabelFilters, explorer_items
from labeling.explorer.serializers import ExplorerItemQuerySerializer
from projects.models import Project

NESTED = "nested"
FLAT = "flat"
LAYOUTS = (NESTED, FLAT)
FLAT_FORMATS = ("csv",)  # the formats that have a flat layout


class ExportQuerySerializer(ExplorerItemQuerySerializer):
    """The export's query string: the items list's filters, with the layout instead of paging."""

    version = None  # the version is in the path
    cursor = None  # an export holds every item that passes the filters
    page_size = None
    layout = serializers.ChoiceField(
        choices=LAYOUTS,
        required=False,
        default=NESTED,
        help_text="csv only: 'flat' gives the metadata back as their own columns and one label column per "
        "annotator, as a spreadsheet shows data; 'nested' (the default) keeps metadata and annotations as JSON",
    )


@dataclass(frozen=True)
class ExportSelection:
    """The filters an export's items pass; none means the whole version."""

    data: ItemFilters = field(default_factory=ItemFilters)
    labels: LabelFilters = field(default_factory=LabelFilters)
    # The filters as given, without empty ones: what a job stores and a page repeats in links.
    query: dict[str, str] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return self.data.any or self.labels.any

    def items(self, *, project: Project, number: int) -> QuerySet[Item]:
        """The version's items that pass, in id order."""
        return explorer_items(project=project, number=number, data=self.data, labels=self.labels)


@dataclass(frozen=True)
class ExportOptions:
    layout: str
    selection: ExportSelection


def export_options_parse(query: QueryDict | dict[str, str], *, project: Project) -> ExportOptions:
    """The layout and selection a query string asks for; a bad or unknown parameter is a 400."""
    if not isinstance(query, QueryDict):
        query = _query_dict(query)
    given = QueryDict(mutable=True)
    for key, values in query.lists():
        if any(value != "" for value in values):
            given.setlist(key, values)
    parsed = ExportQuerySerializer(data=given, context={"project": project})
    parsed.is_valid(raise_exception=True)
    params: dict[str, Any] = parsed.validated_data
    data = ItemFilters(
        external_id=params.get("external_id"),
        metadata=params.get("metadata"),
        batch=params.get("batch"),
        text=params.get("q"),
        split=params.get("split"),
    )
    labels = LabelFilters(label=params.get("label"), final=params.get("final"), annotator=params.get("annotator"))
    filters = {key: given[key] for key in given if key in parsed.fields and key != "layout"}
    return ExportOptions(layout=params["layout"], selection=ExportSelection(data=data, labels=labels, query=filters))


def _query_dict(values: dict[str, str]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in values.items():
        query[key] = value
    return query
