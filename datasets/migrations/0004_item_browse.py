"""Indexes for browsing a version's items: batch with id (a keyset page of one batch), and on
PostgreSQL a GIN index of the items' text for full-text search (SQLite has none: see README)."""

import django.db.models.deletion
from django.db import migrations, models


# As ``datasets.selectors.ITEM_TEXT_VECTOR`` spells it; a query must repeat it to the letter to use the index.
TEXT_VECTOR = "to_tsvector('simple'::regconfig, COALESCE((data ->> 'text'), ''))"


def create_search_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS item_text_search ON projects_item USING gin ({TEXT_VECTOR})")


def drop_search_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS item_text_search")


class Migration(migrations.Migration):

    dependencies = [
        ('datasets', '0003_splits'),
        ('projects', '0006_data_models_deleted_from_state'),
    ]

    operations = [
        migrations.AlterField(
            model_name='item',
            name='batch',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='items', to='datasets.batch'),
        ),
        migrations.AddIndex(
            model_name='item',
            index=models.Index(fields=['batch', 'id'], name='item_batch_id'),
        ),
        migrations.RunPython(create_search_index, drop_search_index),
    ]
