"""``manage.py import_batch``: a batch imported in this process, with a progress line for both steps."""

import io

import pytest
from django.core.management import CommandError, call_command

from datasets.models import Batch, Item


def write_csv(path, rows: int) -> None:
    path.write_text("id,text\n" + "".join(f"r{n},review number {n}\n" for n in range(rows)))


def test_the_command_shows_validation_and_import_progress(project, manager, tmp_path, settings):
    settings.GROUNDWORK_IMPORT_CHUNK_ROWS = 50
    path = tmp_path / "reviews.csv"
    write_csv(path, 400)
    out, err = io.StringIO(), io.StringIO()

    call_command("import_batch", project.pk, str(path), user=manager.username, stdout=out, stderr=err)

    progress = err.getvalue()
    assert "validating reviews.csv" in progress and "importing reviews.csv" in progress
    shown = [float(part.split(":")[-1].strip().rstrip("%")) for part in progress.split("\r") if part.strip()]
    assert shown == sorted(shown) and len(shown) > 4, shown
    assert "400 rows: 400 added, 0 duplicates; version 1" in out.getvalue()
    assert Item.objects.filter(project=project).count() == 400


def test_the_command_names_a_quarantined_batch_and_where_to_decide(project, manager, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("id,text\nr1,fine\nr2,\n")  # empty text is a critical built-in check
    with pytest.raises(CommandError, match=rf"quarantined: 1 critical check.*/projects/{project.pk}/batches/"):
        call_command("import_batch", project.pk, str(path), user=manager.username, stderr=io.StringIO())
    assert Batch.objects.get(project=project).status == "quarantined"
    assert not Item.objects.filter(project=project).exists()


def test_the_command_refuses_a_user_who_is_not_a_manager(project, reviewer, tmp_path):
    path = tmp_path / "reviews.csv"
    write_csv(path, 3)
    with pytest.raises(CommandError, match="is not a manager"):
        call_command("import_batch", project.pk, str(path), user=reviewer.username)
