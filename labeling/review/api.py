"""REST views of the review: parse, call one selector or service, shape the answer.

Reviewers and managers read and adjudicate; managers also plant gold answers and upload
predictions (``labeling.predictions.api``); annotators get 403; another project's ids are 404.
"""

from collections.abc import Collection
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_schema import error_responses
from config.errors import DomainError
from datasets.models import Item
from labeling.models import ReviewResult, ReviewResultStatus
from labeling.review import compute_kinds, listing, selectors, services
from labeling.review.serializers import (
    AdjudicationSerializer,
    AdjudicationWriteSerializer,
    ComputingSerializer,
    ConsensusPageSerializer,
    DisagreementPageSerializer,
    DisagreementSerializer,
    GoldSerializer,
    GoldWriteSerializer,
)
from labeling.review.services.refresh import review_result_refresh
from labeling.review.slices import KEYS as SLICE_KEYS
from labeling.review.slices import result_window
from labeling.selectors import item_get_for_user
from projects.models import Project
from projects.selectors import MANAGERS, REVIEWERS, project_get_for_user

VERSION = OpenApiParameter("version", OpenApiTypes.INT, description="dataset version; the newest when absent")
PAGE = OpenApiParameter("page", OpenApiTypes.INT)
PAGE_SIZE = OpenApiParameter("page_size", OpenApiTypes.INT, description=f"at most {listing.MAX_PAGE_SIZE}")
METADATA = OpenApiParameter("metadata", OpenApiTypes.STR, description="a slice: key=value of the items' metadata")
ALL = OpenApiParameter(
    "all",
    OpenApiTypes.BOOL,
    description="1: every item with two or more annotations; by default only disagreements (agreement below 1)",
)
# What an endpoint reading a computed result answers until the result is there.
NOT_READY = {
    202: OpenApiResponse(ComputingSerializer, description="A worker is computing it; ask again."),
    503: OpenApiResponse(ComputingSerializer, description="The computation failed; `detail` says why."),
}
# DRF's own ``?format=json`` is a query parameter every endpoint takes.
ALWAYS_KNOWN = ("format",)


def _check_params(request: Request, known: Collection[str]) -> None:
    """A query parameter the endpoint does not read is an error, never silently ignored."""
    unknown = sorted(set(request.query_params) - set(known) - set(ALWAYS_KNOWN))
    if unknown:
        raise DomainError(
            f"unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}"
            f" (this endpoint takes {', '.join(known)})"
        )


def _current(project: Project, version: int, kind: str) -> ReviewResult:
    """The cached result when it is fresh; else brought up to date by the refresh service."""
    cached = selectors.review_result_cached(project=project, version=version, kind=kind)
    if cached.fresh and cached.row is not None:
        return cached.row
    return review_result_refresh(project=project, version=version, cached=cached)


def _not_ready(row: ReviewResult) -> Response:
    if row.status == ReviewResultStatus.FAILED:
        return Response({"status": "failed", "detail": f"the computation failed: {row.error}"}, status=503)
    return Response({"status": "computing", "started_at": row.started_at}, status=status.HTTP_202_ACCEPTED)


def _reviewer_project(request: Request, project_id: int) -> tuple[Project, int]:
    project = project_get_for_user(user=request.user, project_id=project_id, roles=REVIEWERS)
    return project, selectors.version_number(project=project, raw=request.query_params.get("version"))


def _reviewer_item(request: Request, item_id: int, roles=REVIEWERS) -> Item:
    item = item_get_for_user(user=request.user, item_id=item_id)
    project_get_for_user(user=request.user, project_id=item.project_id, roles=roles)
    return item


def _paged(
    request: Request, rows: list[Any], total: int, page: int, size: int, *, has_next: bool | None = None
) -> dict[str, Any]:
    def link(number: int) -> str | None:
        if number < 1 or (number - 1) * size >= total:
            return None
        query = request.query_params.copy()
        query["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    following = link(page + 1) if has_next is not False else None
    return {"count": total, "next": following, "previous": link(page - 1), "results": rows}


class AgreementApi(APIView):
    @extend_schema(
        parameters=[
            VERSION,
            OpenApiParameter(
                "metadata",
                OpenApiTypes.STR,
                description="a slice, key=value of the items' metadata: its agreement, computed in the request",
            ),
        ],
        responses={200: OpenApiTypes.OBJECT, **NOT_READY},
    )
    def get(self, request: Request, project_id: int) -> Response:
        project, version = _reviewer_project(request, project_id)
        _check_params(request, ("version", "metadata"))
        metadata = request.query_params.get("metadata")
        if metadata:
            result = compute_kinds.slice_agreement(project=project, version=version, metadata=metadata)
            items = selectors.slice_items(project=project, version=version, metadata=metadata)
            report = selectors.agreement_report(project=project, version=version, result=result, items=items)
            body = report.as_json()
            body.update(
                status="done", version=version, computed_at=timezone.now(), task_type=project.task_type,
                gold_items=selectors.gold_count(project=project, items=items), metadata=metadata,
            )  # fmt: skip
            return Response(body)
        row = _current(project, version, "agreement")
        if row.status != ReviewResultStatus.DONE:
            return _not_ready(row)
        body = selectors.agreement_report(project=project, version=version, result=row.result).as_json()
        body.update(
            status="done", version=version, computed_at=row.computed_at, task_type=project.task_type,
            gold_items=selectors.gold_count(project=project),
        )  # fmt: skip
        return Response(body)


class AnchoringApi(APIView):
    """Agreement with the model and between people, with the suggestion on screen and without it."""

    @extend_schema(parameters=[VERSION], responses={200: OpenApiTypes.OBJECT, **NOT_READY})
    def get(self, request: Request, project_id: int) -> Response:
        project, version = _reviewer_project(request, project_id)
        _check_params(request, ("version",))
        row = _current(project, version, "anchoring")
        if row.status != ReviewResultStatus.DONE:
            return _not_ready(row)
        body = {**row.result, "suggestions": project.suggestions, "holdout": project.suggestion_holdout}
        return Response({**body, "status": "done", "version": version, "computed_at": row.computed_at})


DISAGREEMENT_PARAMS = ("version", "page", "page_size", "label", "annotator", "metadata", "order", "all")


class DisagreementListApi(APIView):
    @extend_schema(
        parameters=[
            VERSION,
            PAGE,
            PAGE_SIZE,
            OpenApiParameter("label", OpenApiTypes.STR, description="items where someone gave this label"),
            OpenApiParameter("annotator", OpenApiTypes.STR, description="items this username annotated"),
            METADATA,
            OpenApiParameter("order", OpenApiTypes.STR, enum=list(listing.ORDERS)),
            ALL,
        ],
        responses={200: DisagreementPageSerializer, **NOT_READY},
    )
    def get(self, request: Request, project_id: int) -> Response:
        project, version = _reviewer_project(request, project_id)
        _check_params(request, DISAGREEMENT_PARAMS)
        params = request.query_params
        query = listing.disagreement_query(
            project=project,
            label=params.get("label"),
            annotator=params.get("annotator"),
            metadata=params.get("metadata"),
            order=params.get("order"),
            page=params.get("page"),
            page_size=params.get("page_size"),
            everything=params.get("all"),
        )
        results: dict[str, Any] = {}
        for kind in query.kinds:
            row = _current(project, version, kind)
            if row.status != ReviewResultStatus.DONE:
                return _not_ready(row)
            results[kind] = row
        result = listing.disagreements(
            project=project, version=version, query=query, ranking=results["items"], issues=results.get("label_issues")
        )
        rows = DisagreementSerializer(result.rows, many=True).data
        answer = _paged(request, rows, result.count, result.page, result.page_size, has_next=result.has_next)
        return Response({**answer, "count_exact": result.count_exact})


class ConsensusApi(APIView):
    @extend_schema(
        parameters=[
            VERSION,
            PAGE,
            PAGE_SIZE,
            OpenApiParameter("method", OpenApiTypes.STR, enum=["majority", "dawid_skene"]),
        ],
        responses={200: ConsensusPageSerializer, **NOT_READY},
    )
    def get(self, request: Request, project_id: int) -> Response:
        project, version = _reviewer_project(request, project_id)
        _check_params(request, ("version", "page", "page_size", "method"))
        method = request.query_params.get("method", "majority")
        if method not in ("majority", "dawid_skene"):
            raise DomainError("method must be majority or dawid_skene")
        if method == "dawid_skene" and project.task_type not in ("classification", "image"):
            raise DomainError("Dawid-Skene is for classification and image projects; use method=majority")
        page = listing.positive_int(request.query_params.get("page"), name="page", default=1)
        size = listing.positive_int(
            request.query_params.get("page_size"), name="page_size", default=50, maximum=listing.MAX_PAGE_SIZE * 10
        )
        row = _current(project, version, "items" if method == "majority" else method)
        if row.status != ReviewResultStatus.DONE:
            return _not_ready(row)
        start = (page - 1) * size
        total = (row.summary or {}).get("item_count")
        window = result_window(row=row, start=start, stop=start + size) if total is not None else None
        if window is None:  # stored before its slices were kept: read whole
            result = row.result
            total = len(result["item_ids"])
            window = {key: result[key][start : start + size] for key in SLICE_KEYS}
        rows = [
            {"item": item, "value": value, "confidence": confidence, "tie": tie}
            for item, value, confidence, tie in zip(*(window[key] for key in SLICE_KEYS), strict=True)
        ]
        body = _paged(request, rows, total, page, size)
        body["method"] = method
        if method == "dawid_skene":
            parts = selectors.result_parts(row=row, keys=("labels", "confusion", "priors", "iterations"))
            body.update(
                labels=parts["labels"] or project.label_names,  # the order of each matrix's rows and columns
                confusion=parts["confusion"],
                priors=parts["priors"],
                iterations=parts["iterations"],
            )
        return Response(body)


class LabelIssuesApi(APIView):
    @extend_schema(parameters=[VERSION, PAGE, PAGE_SIZE], responses={200: OpenApiTypes.OBJECT, **NOT_READY})
    def get(self, request: Request, project_id: int) -> Response:
        project, version = _reviewer_project(request, project_id)
        _check_params(request, ("version", "page", "page_size"))
        if project.task_type not in ("classification", "image"):
            raise DomainError("label issues are for classification and image projects")
        page = listing.positive_int(request.query_params.get("page"), name="page", default=1)
        size = listing.positive_int(
            request.query_params.get("page_size"), name="page_size", default=50, maximum=listing.MAX_PAGE_SIZE
        )
        row = _current(project, version, "label_issues")
        if row.status != ReviewResultStatus.DONE:
            return _not_ready(row)
        issues = row.result["issues"]
        body = _paged(request, issues[(page - 1) * size : page * size], len(issues), page, size)
        body.update(model=row.result.get("model"), checked=row.result.get("checked"), reason=row.result.get("reason"))
        return Response(body)


class AdjudicationApi(APIView):
    @extend_schema(responses=AdjudicationSerializer(many=True))
    def get(self, request: Request, item_id: int) -> Response:
        item = _reviewer_item(request, item_id)
        return Response(AdjudicationSerializer(selectors.adjudications_of_item(item=item), many=True).data)

    @extend_schema(request=AdjudicationWriteSerializer, responses={201: AdjudicationSerializer, **error_responses(409)})
    def post(self, request: Request, item_id: int) -> Response:
        item = _reviewer_item(request, item_id)
        serializer = AdjudicationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["action"] == "send_back":
            adjudication = services.item_send_back(
                item=item, reviewer=request.user, count=data["count"], note=data["note"]
            )
        else:
            adjudication = services.adjudication_create(
                item=item, reviewer=request.user, value=data["value"], note=data["note"]
            )
        return Response(AdjudicationSerializer(adjudication).data, status=status.HTTP_201_CREATED)


class GoldApi(APIView):
    @extend_schema(responses={200: GoldSerializer})
    def get(self, request: Request, item_id: int) -> Response:
        """The item's gold answer (planted, or imported with a batch); 404 when it has none."""
        gold = selectors.gold_get(item=_reviewer_item(request, item_id))
        if gold is None:
            raise DomainError("this item has no gold answer", status_code=404)
        return Response(GoldSerializer(gold).data)

    @extend_schema(request=GoldWriteSerializer, responses={201: GoldSerializer})
    def post(self, request: Request, item_id: int) -> Response:
        item = _reviewer_item(request, item_id, roles=MANAGERS)
        serializer = GoldWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        gold = services.gold_set(item=item, user=request.user, value=serializer.validated_data["value"])
        return Response(GoldSerializer(gold).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, item_id: int) -> Response:
        item = _reviewer_item(request, item_id, roles=MANAGERS)
        services.gold_delete(item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)
