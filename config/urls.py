from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.auth_api import TokenApi, TokenRotateApi
from config.health import healthz
from datasets import api as dataset_api
from labeling import api as labeling_api
from labeling.explorer import api as explorer_api
from labeling.explorer import selection_api
from labeling.exports.api import ExportJobApi, ExportJobFileApi, VersionExportApi
from labeling.models_eval import api as models_eval_api
from labeling.predictions import api as predictions_api
from labeling.review import api as review_api
from labeling.team.api import TeamApi
from projects import api as project_api
from quality.augment import api as augment_api
from quality.leakage import api as leakage_api
from quality.pipeline import api as quality_api
from quality.reports import api as report_api
from quality.splits import api as split_api
from quality.suites import api as suite_api

api_patterns = [
    # Every annotator asks these all day: resolved first, before the patterns checked in order below.
    path("projects/<int:project_id>/next/", labeling_api.NextItemApi.as_view(), name="api-next"),
    path("items/<int:item_id>/annotations/", labeling_api.ItemAnnotationsApi.as_view(), name="api-item-annotations"),
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("auth/token/rotate/", TokenRotateApi.as_view(), name="api-token-rotate"),
    path("projects/", project_api.ProjectListCreateApi.as_view(), name="api-projects"),
    path("projects/<int:project_id>/", labeling_api.ProjectSettingsApi.as_view(), name="api-project"),
    path("projects/<int:project_id>/members/", project_api.MemberListCreateApi.as_view(), name="api-members"),
    path(
        "projects/<int:project_id>/members/<str:username>/",
        project_api.MemberDetailApi.as_view(),
        name="api-member",
    ),
    path("projects/<int:project_id>/versions/", dataset_api.VersionListApi.as_view(), name="api-versions"),
    path(
        "projects/<int:project_id>/versions/<int:number>/",
        dataset_api.VersionDetailApi.as_view(),
        name="api-version",
    ),
    path("projects/<int:project_id>/items/", explorer_api.ExplorerItemListApi.as_view(), name="api-items"),
    path("projects/<int:project_id>/images/", dataset_api.ImageListCreateApi.as_view(), name="api-images"),
    path("projects/<int:project_id>/versions/<int:number>/export/", VersionExportApi.as_view(), name="api-export"),
    path(
        "projects/<int:project_id>/versions/<int:number>/selection/",
        selection_api.SelectionApi.as_view(),
        name="api-selection",
    ),
    path("selections/<str:job_id>/", selection_api.SelectionJobApi.as_view(), name="api-selection-job"),
    path("exports/<str:job_id>/", ExportJobApi.as_view(), name="api-export-job"),
    path("exports/<str:job_id>/file/", ExportJobFileApi.as_view(), name="api-export-job-file"),
    path("projects/<int:project_id>/versions/<int:number>/splits/", split_api.SplitApi.as_view(), name="api-splits"),
    path(
        "projects/<int:project_id>/versions/<int:number>/leakage/", leakage_api.LeakageApi.as_view(), name="api-leakage"
    ),
    path("projects/<int:project_id>/batches/", quality_api.BatchListCreateApi.as_view(), name="api-batches"),
    path("batches/<str:batch_id>/", quality_api.BatchDetailApi.as_view(), name="api-batch"),
    path("batches/<str:batch_id>/file/", quality_api.BatchFileApi.as_view(), name="api-batch-file"),
    path("batches/<str:batch_id>/accept/", quality_api.BatchAcceptApi.as_view(), name="api-batch-accept"),
    path("batches/<str:batch_id>/reject/", quality_api.BatchRejectApi.as_view(), name="api-batch-reject"),
    path("batches/<str:batch_id>/revalidate/", quality_api.BatchRevalidateApi.as_view(), name="api-batch-revalidate"),
    path("projects/<int:project_id>/suite/", suite_api.SuiteApi.as_view(), name="api-suite"),
    path("projects/<int:project_id>/suite/suggest/", suite_api.SuiteSuggestApi.as_view(), name="api-suite-suggest"),
    path("projects/<int:project_id>/checks/", suite_api.CheckSettingsApi.as_view(), name="api-checks"),
    path("projects/<int:project_id>/progress/", labeling_api.ProgressApi.as_view(), name="api-progress"),
    path(
        "projects/<int:project_id>/my-annotations/",
        labeling_api.MyAnnotationsApi.as_view(),
        name="api-my-annotations",
    ),
    path("items/<int:item_id>/skip/", labeling_api.ItemSkipApi.as_view(), name="api-item-skip"),
    path("annotations/<str:annotation_uuid>/", labeling_api.AnnotationDetailApi.as_view(), name="api-annotation"),
    path(
        "annotations/<str:annotation_uuid>/revisions/",
        labeling_api.AnnotationRevisionsApi.as_view(),
        name="api-annotation-revisions",
    ),
    path("projects/<int:project_id>/agreement/", review_api.AgreementApi.as_view(), name="api-agreement"),
    path(
        "projects/<int:project_id>/disagreements/", review_api.DisagreementListApi.as_view(), name="api-disagreements"
    ),
    path("projects/<int:project_id>/team/", TeamApi.as_view(), name="api-team"),
    path("projects/<int:project_id>/anchoring/", review_api.AnchoringApi.as_view(), name="api-anchoring"),
    path("projects/<int:project_id>/consensus/", review_api.ConsensusApi.as_view(), name="api-consensus"),
    path("projects/<int:project_id>/predictions/", predictions_api.PredictionsApi.as_view(), name="api-predictions"),
    path(
        "projects/<int:project_id>/predictions/uploads/<int:upload_id>/",
        predictions_api.PredictionUploadApi.as_view(),
        name="api-prediction-upload",
    ),
    path(
        "projects/<int:project_id>/models/<str:name>/evaluation/",
        models_eval_api.ModelEvaluationApi.as_view(),
        name="api-model-evaluation",
    ),
    path("projects/<int:project_id>/label-issues/", review_api.LabelIssuesApi.as_view(), name="api-label-issues"),
    path("items/<int:item_id>/adjudication/", review_api.AdjudicationApi.as_view(), name="api-item-adjudication"),
    path("items/<int:item_id>/gold/", review_api.GoldApi.as_view(), name="api-item-gold"),
    path(
        "projects/<int:project_id>/augmentations/",
        augment_api.AugmentationRegisterApi.as_view(),
        name="api-augmentations",
    ),
    path(
        "projects/<int:project_id>/augmentations/methods/",
        augment_api.AugmentationMethodsApi.as_view(),
        name="api-augmentation-methods",
    ),
    path(
        "projects/<int:project_id>/augmentations/generate/",
        augment_api.AugmentationGenerateApi.as_view(),
        name="api-augmentation-generate",
    ),
    path(
        "projects/<int:project_id>/augmentations/preview/",
        augment_api.AugmentationPreviewApi.as_view(),
        name="api-augmentation-preview",
    ),
    path(
        "projects/<int:project_id>/augmentations/inherit-checks/",
        augment_api.AugmentationInheritChecksApi.as_view(),
        name="api-augmentation-inherit-checks",
    ),
    path("augmentation-jobs/<str:job_id>/", augment_api.AugmentationJobApi.as_view(), name="api-augmentation-job"),
    path("items/<int:item_id>/lineage/", dataset_api.ItemLineageApi.as_view(), name="api-item-lineage"),
    path(
        "projects/<int:project_id>/versions/<int:number>/report/",
        report_api.VersionReportApi.as_view(),
        name="api-version-report",
    ),
    path(
        "projects/<int:project_id>/versions/<int:number>/report/freeze/",
        report_api.VersionReportFreezeApi.as_view(),
        name="api-version-report-freeze",
    ),
    path(
        "projects/<int:project_id>/versions/<int:number>/report/note/",
        report_api.VersionReportNoteApi.as_view(),
        name="api-version-report-note",
    ),
    path("projects/<int:project_id>/versions/compare/", report_api.VersionCompareApi.as_view(), name="api-compare"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "config.errors.page_not_found"

urlpatterns = [
    path("api/", include(api_patterns)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("labeling.urls")),
    path("", include("labeling.explorer.urls")),
    path("", include("projects.urls")),
    path("", include("datasets.urls")),
    path("", include("quality.urls")),
]
