"""An index of label annotations (scalar string values) by project, label and item that also holds
each annotation's annotator and value, built concurrently (annotators keep submitting meanwhile),
PostgreSQL only.

The version report reads every annotation of a project as (item, annotator, label code). With this
index it reads each label's rows by an index-only scan whose key is the label: no row of the table
and no JSON is touched (``quality.reports.reads``; about a third of the server's work of a plain
scan at three million annotations). ``value`` is included only so that PostgreSQL allows the
index-only scan (its planner wants every column an indexed expression uses); it is short, as the
index holds scalar strings only.
"""

from django.db import migrations

LABEL = "(value #>> '{}'::text[])"  # labeling.review.data.JSONScalarText, as PostgreSQL spells it


def create_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS annotation_label_covering "
            f"ON labeling_annotation (project_id, {LABEL}, item_id) INCLUDE (annotator_id, value) "
            "WHERE jsonb_typeof(value) = 'string'"
        )
        schema_editor.execute("ANALYZE labeling_annotation")  # statistics of the new index's expression


def drop_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS annotation_label_covering")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("labeling", "0012_review_result_summary"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
