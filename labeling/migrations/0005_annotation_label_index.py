"""An index of each annotation's label within its project, for the label filters of the
explorer and the items API (``?label=``, ``?final=``): a label few annotations carry (or none)
is found by an index probe instead of a walk over every item. PostgreSQL only: the expression
is ``labeling.review.data.JSONScalarText`` as PostgreSQL spells it, and a query must repeat it
to the letter to use the index. Built concurrently, so annotators keep submitting meanwhile."""

from django.db import migrations

LABEL = "(value #>> '{}'::text[])"


def create_label_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS annotation_project_label_item "
            f"ON labeling_annotation (project_id, {LABEL}, item_id)"
        )


def drop_label_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS annotation_project_label_item")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("labeling", "0004_items_in_datasets"),
    ]

    operations = [
        migrations.RunPython(create_label_index, drop_label_index),
    ]
