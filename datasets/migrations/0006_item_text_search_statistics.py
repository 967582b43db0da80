"""Finer statistics for the item text search index (PostgreSQL only).

With the default target, PostgreSQL keeps the frequencies of a few hundred words of the items'
texts and guesses 0.5 % of the items for any other word, so a search for a rare word (a name, a
number) walked the whole version in id order, 10 s on a million items, waiting for a page of
matches that never came. Ten times the target keeps thousands of words, and the guess for the
rest falls with the rarest of them: the planner then reads a rare word's few matches from the
GIN index, and still walks the id order for a common one (its page is found in the first rows).
"""

from django.db import migrations


def set_statistics(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER INDEX IF EXISTS item_text_search ALTER COLUMN 1 SET STATISTICS 1000")


def reset_statistics(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER INDEX IF EXISTS item_text_search ALTER COLUMN 1 SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0005_batch_label_mapping"),
    ]

    operations = [
        migrations.RunPython(set_statistics, reset_statistics),
    ]
