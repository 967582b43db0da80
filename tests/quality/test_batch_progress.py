"""What the project page shows of a batch while it runs: a row count that only grows."""

from quality.pipeline import lease
from tests.projects.helpers import csv_bytes, import_file


def test_the_rows_read_only_grow_across_validation_and_import(project, manager, settings, monkeypatch):
    settings.GROUNDWORK_IMPORT_CHUNK_ROWS = 5
    written: list[int] = []
    original = lease.heartbeat

    def recording(batch_id, token, **fields):
        if "rows_total" in fields:
            written.append(fields["rows_total"])
        original(batch_id, token, **fields)

    monkeypatch.setattr(lease, "heartbeat", recording)
    batch = import_file(project, manager, "b.csv", csv_bytes(*[f"review number {n}" for n in range(40)]))
    assert batch.status == "accepted" and batch.rows_total == 40
    assert len(written) > 8  # both passes reported, chunk by chunk
    assert written == sorted(written) and written[-1] == 40
