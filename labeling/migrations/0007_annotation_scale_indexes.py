"""Two indexes of annotations within their project, built concurrently (annotators keep
submitting meanwhile), PostgreSQL only:

- each annotation's label, for the label filters of the explorer and the items API (``?label=``,
  ``?final=``): a label few annotations carry (or none) is found by an index probe instead of a
  walk over every item. The expression is ``labeling.review.data.JSONScalarText`` as PostgreSQL
  spells it; a query must repeat it to the letter to use the index;
- the newest change, for the fingerprint of cached review results
  (``labeling.review.selectors.labels_fingerprint``): one probe, where counting the project's
  annotations on every page view took a second and a half at three million.
"""

from django.db import migrations

LABEL = "(value #>> '{}'::text[])"


def create_label_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS annotation_project_label_item "
            f"ON labeling_annotation (project_id, {LABEL}, item_id)"
        )
        schema_editor.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS annotation_project_newest "
            "ON labeling_annotation (project_id, updated_at, id)"
        )
        # The label index's expression has no statistics until the table is analyzed: without them
        # the planner guesses thousands of matches for a label nobody gave and walks every item.
        schema_editor.execute("ANALYZE labeling_annotation")


def drop_label_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS annotation_project_label_item")
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS annotation_project_newest")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("labeling", "0006_annotation_done_index"),
    ]

    operations = [
        migrations.RunPython(create_label_index, drop_label_index),
    ]
