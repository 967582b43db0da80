"""The figures the API returns for a project populated in the database, against reference packages:
krippendorff (alpha), statsmodels (Fleiss' kappa), scikit-learn (Cohen's kappa), crowd-kit
(majority vote and Dawid-Skene), cleanlab (label quality)."""

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from tests.factories import UserFactory, add_member
from tests.review.conftest import bulk_annotate, items_of, random_labels

pytestmark = pytest.mark.django_db

N_ITEMS, N_ANNOTATORS = 60, 5


def populate(make_project, *, labels, scale="nominal", missing=0.0, seed=1):
    project = make_project(
        "classification", labels, [{"id": f"r{n}", "text": f"row {n}"} for n in range(N_ITEMS)], label_scale=scale
    )
    users = [UserFactory(username=f"rater{n}") for n in range(N_ANNOTATORS)]
    for user in users:
        add_member(project, user, "annotator")
    items = items_of(project)
    rows = random_labels(N_ITEMS, N_ANNOTATORS, len(labels), seed=seed, missing=missing)
    bulk_annotate(project, [(items[i], users[a], labels[v]) for i, a, v in rows])
    matrix = np.full((N_ANNOTATORS, N_ITEMS), np.nan)
    for i, a, v in rows:
        matrix[a, i] = v
    return project, users, items, rows, matrix


@pytest.fixture
def reviewer_client(reviewer, api_client):
    return api_client(reviewer)


@pytest.mark.parametrize("scale, labels", [("nominal", ["a", "b", "c"]), ("ordinal", ["low", "mid", "high", "top"])])
def test_alpha_and_pairwise_kappa_match_the_references(make_project, reviewer_client, scale, labels):
    project, users, _, _, matrix = populate(make_project, labels=labels, scale=scale, missing=0.3, seed=7)
    body = reviewer_client.get(f"/api/projects/{project.pk}/agreement/").json()

    expected_alpha = krippendorff.alpha(
        reliability_data=matrix, level_of_measurement=scale, value_domain=list(range(len(labels)))
    )
    assert body["krippendorff_alpha"] == pytest.approx(expected_alpha, abs=1e-9)
    low, high = body["krippendorff_alpha_ci"]
    assert low <= body["krippendorff_alpha"] <= high

    by_pair = {(p["a"], p["b"]): p for p in body["pairwise"]}
    checked = 0
    for first in range(N_ANNOTATORS):
        for second in range(first + 1, N_ANNOTATORS):
            both = ~np.isnan(matrix[first]) & ~np.isnan(matrix[second])
            pair = by_pair.get((users[first].username, users[second].username)) or by_pair.get(
                (users[second].username, users[first].username)
            )
            assert pair["n"] == both.sum()
            x, y = matrix[first][both], matrix[second][both]
            assert pair["percent_agreement"] == pytest.approx((x == y).mean(), abs=1e-12)
            kappa = cohen_kappa_score(x, y)
            assert pair["cohen_kappa"] == pytest.approx(kappa, abs=1e-9)
            if scale == "ordinal":
                weighted = cohen_kappa_score(x, y, weights="linear", labels=list(range(len(labels))))
                assert pair["weighted_kappa"] == pytest.approx(weighted, abs=1e-9)
            checked += 1
    assert checked == N_ANNOTATORS * (N_ANNOTATORS - 1) // 2


def test_fleiss_kappa_matches_statsmodels_on_complete_data(make_project, reviewer_client):
    project, _, _, _, matrix = populate(make_project, labels=["yes", "no", "maybe"], missing=0.0, seed=3)
    body = reviewer_client.get(f"/api/projects/{project.pk}/agreement/").json()
    table, _ = aggregate_raters(matrix.T.astype(int), n_cat=3)
    assert body["fleiss_kappa"] == pytest.approx(fleiss_kappa(table, method="fleiss"), abs=1e-9)
    assert body["items_compared"] == N_ITEMS
    assert body["annotations"] == N_ITEMS * N_ANNOTATORS


def _crowd_frame(rows, items, users, labels) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "task": [items[i].pk for i, _, _ in rows],
            "worker": [users[a].username for _, a, _ in rows],
            "label": [labels[v] for _, _, v in rows],
        }
    )


def _all_rows(client, url, **params) -> list[dict]:
    rows, page = [], 1
    while True:
        body = client.get(url, {**params, "page": page, "page_size": 100}).json()
        rows += body["results"]
        if not body["next"]:
            return rows
        page += 1


def test_consensus_matches_crowd_kit(make_project, reviewer_client):
    from crowdkit.aggregation import DawidSkene, MajorityVote

    labels = ["cat", "dog", "bird"]
    project, users, items, rows, _ = populate(make_project, labels=labels, missing=0.2, seed=11)
    frame = _crowd_frame(rows, items, users, labels)

    majority = {r["item"]: r for r in _all_rows(reviewer_client, f"/api/projects/{project.pk}/consensus/")}
    reference = MajorityVote().fit_predict(frame)
    for task, label in reference.items():
        if not majority[task]["tie"]:  # crowd-kit breaks ties at random; ours are flagged
            assert majority[task]["value"] == label

    url = f"/api/projects/{project.pk}/consensus/"
    ours = {r["item"]: r for r in _all_rows(reviewer_client, url, method="dawid_skene")}
    model = DawidSkene(n_iter=100, tol=1e-5).fit(frame)
    for task, row in model.probas_.iterrows():
        assert ours[task]["value"] == row.idxmax()
        assert ours[task]["confidence"] == pytest.approx(row.max(), abs=1e-6)

    # Each annotator's confusion matrix: ours[true][given]; crowd-kit's errors_.loc[(worker, given), true].
    body = reviewer_client.get(url, {"method": "dawid_skene", "page_size": 1}).json()
    assert body["labels"] == labels
    assert set(body["confusion"]) == {user.username for user in users}
    for worker, matrix in body["confusion"].items():
        assert np.allclose(np.sum(matrix, axis=1), 1.0, atol=1e-5)  # every label is used: each row sums to 1
        for t, true in enumerate(labels):
            for g, given in enumerate(labels):
                expected = model.errors_.loc[(worker, given), true] if (worker, given) in model.errors_.index else 0.0
                assert matrix[t][g] == pytest.approx(expected, abs=2e-6), (worker, true, given)
    assert body["priors"] == pytest.approx([model.priors_[label] for label in labels], abs=2e-6)


def test_label_quality_scores_match_cleanlab(make_project, manager, api_client, reviewer_client):
    from cleanlab.rank import get_label_quality_scores

    labels = ["a", "b", "c"]
    project, _, items, _, _ = populate(make_project, labels=labels, missing=0.0, seed=5)
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(3), len(items))
    predictions = [{"item": item.pk, "probabilities": p.tolist()} for item, p in zip(items, probabilities, strict=True)]
    response = api_client(manager).post(
        f"/api/projects/{project.pk}/predictions/", {"model": "m", "predictions": predictions}, format="json"
    )
    assert response.status_code == 201
    consensus = {r["item"]: r for r in _all_rows(reviewer_client, f"/api/projects/{project.pk}/consensus/")}
    kept = [i for i, item in enumerate(items) if not consensus[item.pk]["tie"]]
    given = np.array([labels.index(consensus[items[i].pk]["value"]) for i in kept])
    expected = get_label_quality_scores(given, probabilities[kept])
    ranked = _all_rows(reviewer_client, f"/api/projects/{project.pk}/disagreements/", order="label_issue", all="1")
    scores = {row["item"]["id"]: row["label_issue_score"] for row in ranked}
    for position, index in enumerate(kept):
        assert scores[items[index].pk] == pytest.approx(expected[position], abs=1e-12)
    ordered = [row["label_issue_score"] for row in ranked if row["label_issue_score"] is not None]
    assert ordered == sorted(ordered)
