"""Splits and the leakage check through the API, over items imported by the real pipeline.

The jobs run here in-process (``split_run``, ``leakage_run``): what the Celery tasks call.
"""

import csv
import io
import json

import numpy as np
import pytest
from rest_framework.test import APIClient

from datasets.models import DatasetVersion, Item, ItemSplit, Split
from labeling.models import Annotation
from quality.leakage.services import leakage_run
from quality.models import LeakageCheck
from quality.splits.services import split_run
from tests.projects.helpers import csv_bytes, import_file

LABELS = ["positive", "negative", "neutral"]
VOCABULARY = [f"w{n}" for n in range(2000)]


def texts(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(VOCABULARY, size=12)) for _ in range(count)]


def add_version(project, user, rows: list[str]) -> DatasetVersion:
    batch = import_file(project, user, "rows.csv", csv_bytes(*rows))
    assert batch.status == "accepted", batch.error
    return batch.version


def label_all(project, user, seed: int = 0) -> None:
    """One annotation per unlabelled item: its final label (a majority of one)."""
    rng = np.random.default_rng(seed)
    items = Item.objects.filter(project=project, annotations__isnull=True).order_by("id")
    Annotation.objects.bulk_create(
        [
            Annotation(item=item, project=project, annotator=user, value=str(rng.choice(LABELS, p=[0.6, 0.3, 0.1])))
            for item in items
        ]
    )


def url(project, number: int, what: str = "splits") -> str:
    return f"/api/projects/{project.pk}/versions/{number}/{what}/"


def split(client, project, number: int, ratios=(0.8, 0.1, 0.1), seed: int = 1) -> dict:
    response = client.post(
        url(project, number),
        {"ratios": dict(zip(["train", "dev", "test"], ratios, strict=True)), "seed": seed},
        format="json",
    )
    assert response.status_code == 202, response.content
    split_run(split_id=Split.objects.get(version__project=project, version__number=number).pk, enqueue_leakage=False)
    return client.get(url(project, number)).json()


def splits_of(project) -> dict[int, str | None]:
    return dict(ItemSplit.objects.filter(project=project).values_list("item_id", "split"))


@pytest.fixture
def labelled(project, manager, annotator):
    version = add_version(project, manager, texts(200, seed=1))
    label_all(project, annotator)
    return version


def test_a_split_assigns_every_item_and_reports_sizes_and_balance(api_client, project, manager, labelled):
    body = split(api_client(manager), project, 1)
    assert body["status"] == "done" and body["progress"] == 1.0
    assert (body["ratios"], body["seed"], body["version"]) == ({"train": 0.8, "dev": 0.1, "test": 0.1}, 1, 1)
    assert sum(body["sizes"].values()) == 200 and body["left_out"] == 0
    assert abs(body["sizes"]["train"] - 160) <= 2 and abs(body["sizes"]["test"] - 20) <= 2
    balance = body["balance"]
    assert balance["tolerance"] == 0.05 and {row["label"] for row in balance["labels"]} == set(LABELS)
    assert set(splits_of(project).values()) == {"train", "dev", "test"} and len(splits_of(project)) == 200


def test_items_show_their_split_and_filter_by_it(api_client, project, manager, labelled):
    client = api_client(manager)
    split(client, project, 1)
    items = f"/api/projects/{project.pk}/items/"
    first = client.get(items).json()["results"][0]
    assert first["split"] == splits_of(project)[first["id"]]
    # A filtered list is not counted: one page of up to 500 holds them all here.
    counts = {
        name: len(client.get(items, {"split": name, "page_size": 500}).json()["results"])
        for name in ("train", "dev", "test", "none")
    }
    assert counts == {**{k: v for k, v in split_counts(project).items()}, "none": 0}
    assert client.get(items, {"split": "holdout"}).status_code == 400
    assert client.get(items, {"splits": "train"}).status_code == 400
    assert client.get(items, {"version": 1, "split": "dev", "page_size": 1}).status_code == 200


def split_counts(project) -> dict[str, int]:
    values = list(splits_of(project).values())
    return {name: values.count(name) for name in ("train", "dev", "test")}


def test_before_splitting_items_have_no_split(api_client, project, manager, labelled):
    client = api_client(manager)
    assert client.get(f"/api/projects/{project.pk}/items/").json()["results"][0]["split"] is None
    none = client.get(f"/api/projects/{project.pk}/items/", {"split": "none", "page_size": 500}).json()
    assert (len(none["results"]), none["next"], none["count"]) == (200, None, None)
    assert client.get(url(project, 1)).status_code == 404


def test_exports_carry_the_split(api_client, project, manager, labelled):
    client = api_client(manager)
    split(client, project, 1)
    expected = splits_of(project)
    export = f"/api/projects/{project.pk}/versions/1/export/"
    lines = b"".join(client.get(export, {"format": "jsonl"}).streaming_content).decode().splitlines()
    assert {json.loads(line)["id"]: json.loads(line)["split"] for line in lines} == expected
    rows = csv.DictReader(io.StringIO(b"".join(client.get(export, {"format": "csv"}).streaming_content).decode()))
    assert {int(row["id"]): row["split"] for row in rows} == expected
    tasks = json.loads(b"".join(client.get(export, {"format": "labelstudio"}).streaming_content))
    assert {task["id"]: task["meta"]["split"] for task in tasks} == expected


@pytest.mark.parametrize(
    "body",
    [
        {"ratios": {"train": 0.8, "dev": 0.1, "test": 0.2}, "seed": 1},
        {"ratios": {"train": 1.1, "dev": -0.05, "test": -0.05}, "seed": 1},
        {"ratios": {"train": 0.8, "dev": 0.3, "test": -0.1}, "seed": 1},
        {"ratios": {"train": 0.0, "dev": 0.5, "test": 0.5}, "seed": 1},
        {"ratios": {"train": 0.8, "dev": 0.2}, "seed": 1},
        {"ratios": {"train": "most", "dev": 0.1, "test": 0.1}, "seed": 1},
        {"ratios": [0.8, 0.1, 0.1], "seed": 1},
        {"ratios": {"train": 0.8, "dev": 0.1, "test": 0.1}, "seed": -3},
        {"seed": 1},
    ],
)
def test_bad_ratios_are_a_400_and_store_nothing(api_client, project, manager, labelled, body):
    response = api_client(manager).post(url(project, 1), body, format="json")
    assert response.status_code == 400, response.content
    assert not Split.objects.exists() and not ItemSplit.objects.exists()


def test_an_unknown_version_is_a_404_and_stores_nothing(api_client, project, manager, labelled):
    body = {"ratios": {"train": 0.8, "dev": 0.1, "test": 0.1}, "seed": 1}
    assert api_client(manager).post(url(project, 7), body, format="json").status_code == 404
    assert api_client(manager).get(url(project, 7)).status_code == 404
    assert api_client(manager).get(url(project, 7, "leakage")).status_code == 404
    assert not Split.objects.exists()


def test_a_version_is_split_once(api_client, project, manager, labelled):
    client = api_client(manager)
    split(client, project, 1)
    before = splits_of(project)
    again = client.post(url(project, 1), {"ratios": {"train": 0.5, "dev": 0.25, "test": 0.25}}, format="json")
    assert again.status_code == 409
    assert splits_of(project) == before and Split.objects.get().train == 0.8


def test_who_may_split_and_read(api_client, project, manager, annotator, outsider, labelled):
    body = {"ratios": {"train": 0.8, "dev": 0.1, "test": 0.1}, "seed": 1}
    anonymous = APIClient()
    for path in (url(project, 1), url(project, 1, "leakage")):
        assert anonymous.get(path).status_code == 401
        assert anonymous.post(path, body, format="json").status_code == 401
        assert api_client(outsider).get(path).status_code == 404
        assert api_client(outsider).post(path, body, format="json").status_code == 404
        assert api_client(annotator).post(path, body, format="json").status_code == 403
    assert not Split.objects.exists() and not LeakageCheck.objects.exists()
    split(api_client(manager), project, 1)
    assert api_client(annotator).get(url(project, 1)).status_code == 200


def test_another_projects_version_is_a_404(api_client, project, manager, outsider, labelled):
    elsewhere = outsider.memberships.get().project if hasattr(outsider, "memberships") else None
    other = elsewhere or project.__class__.objects.exclude(pk=project.pk).get()
    add_version(other, outsider, texts(5, seed=9))
    body = {"ratios": {"train": 0.8, "dev": 0.1, "test": 0.1}, "seed": 1}
    assert api_client(manager).post(url(other, 1), body, format="json").status_code == 404
    assert api_client(manager).get(url(other, 1, "leakage")).status_code == 404
    assert api_client(outsider).post(url(project, 1), body, format="json").status_code == 404
    assert not Split.objects.exists()


def test_lineage_and_near_duplicates_share_a_split_and_augmented_copies_stay_in_train(
    api_client, project, manager, annotator
):
    rows = texts(150, seed=2)
    rows[100] = rows[0].replace(rows[0].split()[-1], "changed")  # a near duplicate of row 0 (10 of 12 bigrams)
    add_version(project, manager, rows)
    copies = add_version(project, manager, [f"{row} copy" for row in rows[:60]])
    label_all(project, annotator)
    originals = list(Item.objects.filter(project=project, batch__version__number=1).order_by("id"))
    augmented = list(Item.objects.filter(project=project, batch__version=copies).order_by("id"))
    for item, source in zip(augmented, originals[:60], strict=True):
        Item.objects.filter(pk=item.pk).update(source=source)
    body = split(api_client(manager), project, 2, ratios=(0.6, 0.2, 0.2))
    assigned = splits_of(project)
    assert assigned[originals[0].pk] == assigned[originals[100].pk]
    left_out = 0
    for item, source in zip(augmented, originals[:60], strict=True):
        if assigned[source.pk] == "train":
            assert assigned[item.pk] == "train"
        else:
            assert assigned[item.pk] is None
            left_out += 1
    assert body["left_out"] == left_out > 0
    assert sum(body["sizes"].values()) + left_out == 210


def test_a_later_version_keeps_every_earlier_split_across_three_versions(api_client, project, manager, annotator):
    client = api_client(manager)
    rows = texts(300, seed=3)
    add_version(project, manager, rows[:100])
    label_all(project, annotator, seed=1)
    split(client, project, 1)
    first = splits_of(project)
    v2_rows = rows[100:200]
    v2_rows[0] = rows[5] + " again"  # a near duplicate of a version-1 item joins its split
    add_version(project, manager, v2_rows)
    label_all(project, annotator, seed=2)
    split(client, project, 2, ratios=(0.7, 0.15, 0.15), seed=2)
    second = splits_of(project)
    assert {k: second[k] for k in first} == first and len(second) == 200
    version_1_items = sorted(first)
    near = Item.objects.get(project=project, batch__version__number=2, data__text=rows[5] + " again")
    assert second[near.pk] == first[version_1_items[5]]
    add_version(project, manager, rows[200:])
    label_all(project, annotator, seed=3)
    body = split(client, project, 3, seed=3)
    third = splits_of(project)
    assert {k: third[k] for k in second} == second and len(third) == 300
    assert sum(body["sizes"].values()) == 300
    assert body["balance"]["labels"]


def test_leakage_finds_planted_exact_and_near_duplicates_across_splits(api_client, project, manager, labelled):
    client = api_client(manager)
    split(client, project, 1)
    base = "the quick brown fox jumps over the lazy dog by the river at dawn"
    add_version(project, manager, [base, base.upper() + "  ", base + " today", "nothing like the others at all"])
    items = list(Item.objects.filter(project=project, batch__version__number=2).order_by("id"))
    # Decided as if by hand elsewhere: the copies straddle train, dev and test.
    ItemSplit.objects.bulk_create(
        [
            ItemSplit(item=item, project=project, split=name, decided_in_id=item.batch.version_id)
            for item, name in zip(items, ["train", "dev", "test", "test"], strict=True)
        ]
    )
    response = client.post(url(project, 2, "leakage"))
    assert response.status_code == 202 and response.json()["status"] == "queued"
    leakage_run(check_id=LeakageCheck.objects.get().pk)
    body = client.get(url(project, 2, "leakage")).json()
    assert body["status"] == "done"
    found = {(pair["a"]["id"], pair["b"]["id"]): pair for pair in body["pairs"]}
    exact = found[(items[0].pk, items[1].pk)]
    assert (exact["kind"], exact["similarity"], exact["splits"]) == ("exact", 1.0, ["train", "dev"])
    near = found[(items[0].pk, items[2].pk)]
    assert near["kind"] == "near" and near["similarity"] >= 0.8 and near["splits"] == ["train", "test"]
    assert set(found) == {(items[0].pk, items[1].pk), (items[0].pk, items[2].pk), (items[1].pk, items[2].pk)}
    assert body["per_split_pair"] == {
        "train-dev": {"exact": 1, "near": 0},
        "train-test": {"exact": 0, "near": 1},
        "dev-test": {"exact": 0, "near": 1},
    }
    assert body["method"]["jaccard_threshold"] == 0.8


def test_our_own_splits_leave_no_duplicate_across_splits(api_client, project, manager, annotator):
    rows = texts(120, seed=4)
    rows += [row + " again" for row in rows[:30]] + [row.upper() for row in rows[30:40]]
    add_version(project, manager, rows)
    label_all(project, annotator)
    client = api_client(manager)
    split(client, project, 1, ratios=(0.5, 0.25, 0.25))
    client.post(url(project, 1, "leakage"))
    leakage_run(check_id=LeakageCheck.objects.get().pk)
    body = client.get(url(project, 1, "leakage")).json()
    assert body["pairs"] == [] and body["exact_pairs"] == body["near_pairs"] == 0
    assert body["split_items"] == 160


def test_the_version_page_shows_the_split_and_the_leakage_page_the_pairs(client, project, manager, outsider, labelled):
    api = APIClient()
    api.force_authenticate(manager)
    split(api, project, 1)
    add_version(project, manager, ["<b>same text here for both</b>", "<B>same text   here for both</B>"])
    first, second = Item.objects.filter(project=project, batch__version__number=2).order_by("id")
    ItemSplit.objects.bulk_create(
        [
            ItemSplit(item=first, project=project, split="train", decided_in_id=first.batch.version_id),
            ItemSplit(item=second, project=project, split="test", decided_in_id=first.batch.version_id),
        ]
    )
    client.force_login(manager)
    page = client.get(f"/projects/{project.pk}/versions/1/").content.decode()
    assert 'id="splits"' in page and 'id="split-balance"' in page and "/versions/1/leakage/" in page
    leakage_page = f"/projects/{project.pk}/versions/2/leakage/"
    assert "No leakage check yet" in client.get(leakage_page).content.decode()
    assert client.post(leakage_page).status_code == 302
    leakage_run(check_id=LeakageCheck.objects.get(version__number=2).pk)
    page = client.get(leakage_page).content.decode()
    assert 'id="leakage-pairs"' in page and "train-test" in page
    assert "&lt;b&gt;same text" in page and "<b>same" not in page  # what people uploaded is escaped
    client.force_login(outsider)
    assert client.get(leakage_page).status_code == 404
    assert client.post(leakage_page).status_code == 404
