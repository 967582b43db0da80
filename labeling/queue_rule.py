"""The queue's one rule: an item is open while it still wants a label.

An item wants ``overlap + extra`` labels (``extra``: the ones a reviewer asked for beyond
the project's overlap); every annotation and every live lease fills one of them. So

    open  <=>  submitted + held < overlap + extra

Every write that changes the counters stores the answer in ``ItemState.is_open`` (the queue's
partial index reads it), in the same statement. The rule is written here once per language
the writes speak, side by side: ``is_open`` (Python), ``open_sql`` (a SQL fragment over any
column expressions) and ``open_flag`` (that fragment as an ORM expression); a test checks
that Python and SQL agree on every database the suite runs on.
"""

from django.db.models import BooleanField, Case, Expression, Q, Value, When
from django.db.models.expressions import RawSQL


def is_open(*, submitted: int, held: int, overlap: int, extra: int) -> bool:
    return submitted + held < overlap + extra


def labels_to_come(*, submitted: int, held: int, overlap: int, extra: int) -> int:
    """How many more labels an open item takes (0 when it is full): the same rule, as a count."""
    return max(overlap + extra - submitted - held, 0)


def open_sql(
    *, submitted: str = "submitted", held: str = "held", overlap: str = "%(overlap)s", extra: str = "extra"
) -> str:
    """``is_open`` in SQL, over column expressions (``s.held + 1`` for a claim's new value)
    and a placeholder or expression for the project's overlap."""
    return f"(({submitted}) + ({held}) < ({overlap}) + ({extra}))"


def open_flag(overlap: int) -> Expression:
    """``open_sql`` over an ``ItemState`` row, for an ORM ``update(is_open=...)``."""
    return RawSQL(open_sql(overlap="%s"), [overlap], output_field=BooleanField())


# Started items (someone labels or holds them) come first, so items fill up one by one.
STARTED_FLAG = Case(
    When(Q(submitted__gt=0) | Q(held__gt=0), then=Value(True)),
    default=Value(False),
    output_field=BooleanField(),
)
