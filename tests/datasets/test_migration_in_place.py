"""A database made before the datasets app existed keeps every row when it migrates.

The data models moved from ``projects`` and ``quality`` to ``datasets`` by state alone: the
tables keep their names, so migrating copies nothing and loses nothing. This test builds the
old layout with rows in it, migrates forward, and reads every row back through today's models.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from datasets.models import Batch, DatasetVersion, Item, ItemImage
from labeling.models import Adjudication, Annotation, GoldLabel, ItemState

BEFORE = [
    ("projects", "0004_item_image"),
    ("quality", "0002_validation_decisions"),
    ("labeling", "0003_review"),
    ("datasets", None),
]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _old_rows(apps) -> dict:
    """Rows written with the models as they were: Item in projects, Batch in quality."""
    user = apps.get_model("auth", "User").objects.create(username="owner")
    project = apps.get_model("projects", "Project").objects.create(
        name="Old", task_type="classification", labels=[{"name": "a"}, {"name": "b"}], created_by=user
    )
    apps.get_model("projects", "Membership").objects.create(project=project, user=user, role="manager")
    version_model = apps.get_model("projects", "DatasetVersion")
    v1 = version_model.objects.create(project=project, number=1, item_count=2, added_count=2)
    v2 = version_model.objects.create(project=project, number=2, parent=v1, item_count=3, added_count=1)
    batch_model = apps.get_model("quality", "Batch")
    batches = [
        batch_model.objects.create(
            project=project,
            uploaded_by=user,
            original_name=f"b{n}.csv",
            file=f"batches/b{n}.csv",
            file_sha256=f"{n:064d}",
            file_size=10,
            format="csv",
            status="accepted",
            version=version,
            results=[{"check": "import", "success": True}],
            rows_added=version.added_count,
        )
        for n, version in ((1, v1), (2, v2))
    ]
    item_model = apps.get_model("projects", "Item")
    items = [
        item_model.objects.create(
            project=project,
            batch=batches[0 if n < 2 else 1],
            external_id=f"r{n}",
            data={"text": f"text {n}"},
            metadata={"channel": "email"},
            content_hash=f"{n:064x}",
        )
        for n in range(3)
    ]
    derived = item_model.objects.create(
        project=project, batch=batches[1], data={"text": "text 0!"}, content_hash="f" * 64, source=items[0]
    )
    apps.get_model("projects", "ItemImage").objects.create(
        project=project,
        sha256="e" * 64,
        extension="png",
        content_type="image/png",
        width=1,
        height=1,
        size=1,
        original_name="x.png",
        file="images/x.png",
        uploaded_by=user,
    )
    annotation_model = apps.get_model("labeling", "Annotation")
    for item in items:
        annotation_model.objects.create(item=item, project=project, annotator=user, value="a")
    apps.get_model("labeling", "ItemState").objects.create(item=items[0], project=project, submitted=1)
    apps.get_model("labeling", "Adjudication").objects.create(item=items[1], project=project, reviewer=user, value="b")
    apps.get_model("labeling", "GoldLabel").objects.create(item=items[2], project=project, value="a", set_by=user)
    return {"project": project.pk, "items": [i.pk for i in items], "derived": derived.pk, "batches": batches}


@pytest.mark.django_db(transaction=True)
def test_old_database_keeps_every_row_after_migrating():
    old = _migrate(BEFORE)
    rows = _old_rows(old.loader.project_state(BEFORE[:3]).apps)

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    project_id = rows["project"]
    assert sorted(Item.objects.filter(project_id=project_id).values_list("pk", flat=True)) == sorted(
        [*rows["items"], rows["derived"]]
    )
    assert Item.objects.get(pk=rows["derived"]).source_id == rows["items"][0]
    assert Item.objects.get(pk=rows["items"][0]).metadata == {"channel": "email"}
    versions = DatasetVersion.objects.filter(project_id=project_id).order_by("number")
    assert [(v.number, v.item_count, v.parent_id) for v in versions] == [(1, 2, None), (2, 3, versions[0].pk)]
    assert [b.version.number for b in Batch.objects.filter(project_id=project_id).order_by("original_name")] == [1, 2]
    assert Batch.objects.get(original_name="b1.csv").results == [{"check": "import", "success": True}]
    assert set(Item.objects.filter(batch__version__number__lte=1).values_list("pk", flat=True)) == set(
        rows["items"][:2]
    )
    assert ItemImage.objects.filter(project_id=project_id).count() == 1
    assert Annotation.objects.filter(item__project_id=project_id).count() == 3
    assert ItemState.objects.get(item_id=rows["items"][0]).submitted == 1
    assert Adjudication.objects.get(item_id=rows["items"][1]).value == "b"
    assert GoldLabel.objects.get(item_id=rows["items"][2]).value == "a"
    # The tables kept their names: nothing was copied into new ones.
    assert {Item._meta.db_table, Batch._meta.db_table} <= set(connection.introspection.table_names())
