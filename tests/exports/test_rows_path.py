"""On PostgreSQL the bulk formats read rows (``labeling.exports.rows``) instead of records: the bytes
must be the records' writers' bytes, whatever the data holds."""

import csv
import io
import uuid
from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest
from django.db import connection

from datasets.models import Batch, Item, ItemSplit
from datasets.selectors import items_in_version
from labeling import exports, services
from labeling.exports.records import ExportContext, version_chunks
from labeling.exports.selection import export_options_parse
from labeling.models import Adjudication, Annotation
from labeling.review.services.decisions import adjudication_create
from tests.factories import UserFactory, add_member
from tests.projects.helpers import import_file

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the rows path is PostgreSQL's; elsewhere records are the only path"
)

BULK = ("jsonl", "csv", "parquet")
TEXTS = [
    'say "hi", then: go',  # quotes and the separators PostgreSQL prints
    "back\\slash and tab\tand\nnew line",
    "=HYPERLINK(1)",
    "unicode é ü 漢字 \u2028 end",
    "x",
    "plain",
    '{"text": "not json"}',
    "-5 below",
]


def submit(item: Item, user, value) -> Annotation:
    annotation, _ = services.annotation_submit(item=item, user=user, request_uuid=uuid.uuid4(), value=value)
    return annotation


@pytest.fixture
def tricky(project, manager):
    """Items whose text, metadata, annotations and finals take every path the rows take."""
    project.overlap = 5
    project.save(update_fields=["overlap"])
    buffer = io.StringIO()
    rows = csv.writer(buffer)
    rows.writerow(["id", "text", "channel", "score"])
    rows.writerows([f"=x{n}", text, ["web", "a, b", "chat"][n % 3], n * 0.1] for n, text in enumerate(TEXTS))
    batch = import_file(project, manager, "v1.csv", buffer.getvalue().encode())
    assert batch.status == "accepted", batch.error
    items = list(Item.objects.filter(project=project).order_by("id"))
    users = [UserFactory(username=name) for name in ("ann1", 'we"ird\\name', "ann3")]
    for user in users:
        add_member(project, user, "annotator")
    plan = [
        ["positive", "positive", "negative"],  # a majority
        ["positive", "negative"],  # a tie
        ["neutral"],  # one
        [],  # none
        ["negative", "negative", "negative"],
        ["positive", "neutral", "negative"],  # all different
        ["positive", "positive"],
        ["neutral", "positive", "neutral"],
    ]
    annotations = {}
    for item, values in zip(items, plan, strict=True):
        for user, value in zip(users, values, strict=False):
            annotations[item.external_id, user.username] = submit(item, user, value)
    # values the API does not take but the table may hold (imports of old data): each must be written as before
    odd = {("=x1", "ann1"): 1e-07, ("=x1", 'we"ird\\name'): ["a", 2**70], ("=x2", "ann1"): {"k": [None, 0.5]}}
    odd |= {("=x4", "ann1"): 'quote " and \\ slash', ("=x5", "ann1"): False, ("=x6", "ann1"): 12}
    for key, value in odd.items():
        Annotation.objects.filter(pk=annotations[key].pk).update(value=value)
    whole_second = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    Annotation.objects.filter(pk=annotations["=x0", "ann1"].pk).update(created_at=whole_second)
    Annotation.objects.filter(pk=annotations["=x0", "ann3"].pk).update(
        origin="imported", import_batch=Batch.objects.filter(project=project).first()
    )
    adjudication_create(item=items[1], reviewer=manager, value="neutral", note="")
    adjudication_create(item=items[5], reviewer=manager, value="positive", note="")
    Adjudication.objects.filter(item=items[5]).update(value={"odd": 1.5})
    version = items[0].batch.version
    ItemSplit.objects.create(item=items[0], project=project, split="train", decided_in=version)
    ItemSplit.objects.create(item=items[2], project=project, split=None, decided_in=version)
    Item.objects.filter(pk=items[3].pk).update(metadata={"n": 12345678901234567890123, "f": 5e-05})
    Item.objects.filter(pk=items[4].pk).update(metadata={})
    Item.objects.filter(pk=items[6].pk).update(data={"text": ["not", "a", "string"]})
    # augmented copies: one inherits its source's label, one is relabeled, one inherits nothing
    source, unlabeled = items[0], items[3]
    augmented = ["text,source_item,augmentation_method,augmentation_label_policy"]
    augmented += [f"copy one,{source.pk},typo,inherit", f"copy two,{source.pk},typo,relabel"]
    augmented += [f"copy three,{unlabeled.pk},upper,inherit"]
    assert import_file(project, manager, "aug.csv", ("\n".join(augmented) + "\n").encode()).status == "accepted"
    return project


def records_bytes(project, number: int, export_format: str, *, items=None, chunk_size: int | None = None) -> bytes:
    """The bytes of the records' writer, as every database other than PostgreSQL gets them."""
    context = ExportContext(task_type=project.task_type, content_column=project.content_column)
    chunks = version_chunks(project=project, number=number, items=items, chunk_size=chunk_size)
    return b"".join(exports.FORMATS[export_format].writer(chunks, context))


def test_the_rows_path_writes_the_records_bytes(tricky):
    number = tricky.versions.order_by("-number").first().number
    for export_format in BULK:
        expected = records_bytes(tricky, number, export_format)
        assert b"".join(exports.export_stream(project=tricky, number=number, export_format=export_format)) == expected
        if export_format != "parquet":  # a Parquet chunk is a row group: its size is part of the file
            small = exports.export_stream(project=tricky, number=number, export_format=export_format, chunk_size=3)
            assert b"".join(small) == expected
    parquet = pq.read_table(io.BytesIO(records_bytes(tricky, number, "parquet"))).to_pylist()
    assert {row["final_source"] for row in parquet} == {None, "consensus", "adjudication", "inherited"}


def test_a_selection_through_the_rows_path(tricky):
    number = tricky.versions.order_by("-number").first().number
    selection = export_options_parse({"metadata": "channel=web"}, project=tricky).selection
    items = selection.items(project=tricky, number=number)
    assert 0 < items.count() < items_in_version(project=tricky, number=number).count()
    for export_format in BULK:
        streamed = exports.export_stream(
            project=tricky, number=number, export_format=export_format, selection=selection, chunk_size=2
        )
        assert b"".join(streamed) == records_bytes(tricky, number, export_format, items=items, chunk_size=2)


def test_a_reader_stopped_early_lets_go_of_the_connection(tricky):
    number = tricky.versions.order_by("-number").first().number
    stream = exports.export_stream(project=tricky, number=number, export_format="jsonl", chunk_size=2)
    first = next(stream)
    assert first.startswith(b'{"id":')
    stream.close()  # a client that went away: the reading thread stops and the connection is ours again
    assert not connection.allow_thread_sharing
    assert Item.objects.filter(project=tricky).exists()
