import pytest

from labeling.values import InvalidValue, check_value

LABELS = ["PER", "ORG", "LOC"]


@pytest.mark.parametrize("value", ["PER", "ORG"])
def test_classification_accepts_a_label(value):
    assert check_value(value, task_type="classification", labels=LABELS, text="x") == value


@pytest.mark.parametrize("value", ["per", "", None, 1, ["PER"]])
def test_classification_refuses_anything_else(value):
    with pytest.raises(InvalidValue):
        check_value(value, task_type="classification", labels=LABELS, text="x")


def test_multilabel_is_stored_in_schema_order_and_refuses_duplicates():
    assert check_value(["LOC", "PER"], task_type="multilabel", labels=LABELS, text="") == ["PER", "LOC"]
    assert check_value([], task_type="multilabel", labels=LABELS, text="") == []
    with pytest.raises(InvalidValue, match="twice"):
        check_value(["PER", "PER"], task_type="multilabel", labels=LABELS, text="")
    with pytest.raises(InvalidValue, match="'XYZ'"):
        check_value(["XYZ"], task_type="multilabel", labels=LABELS, text="")


def test_spans_inside_the_text_are_sorted():
    text = "Ada Lovelace met Babbage in London"
    value = [{"start": 27, "end": 33, "label": "LOC"}, {"start": 0, "end": 12, "label": "PER"}]
    assert check_value(value, task_type="spans", labels=LABELS, text=text) == sorted(value, key=lambda s: s["start"])


@pytest.mark.parametrize(
    "span, message",
    [
        ({"start": 5, "end": 5, "label": "PER"}, "start < end"),
        ({"start": 6, "end": 2, "label": "PER"}, "start < end"),
        ({"start": 0, "end": 99, "label": "PER"}, "text's length"),
        ({"start": -1, "end": 2, "label": "PER"}, "start < end"),
        ({"start": 0, "end": 2, "label": "DATE"}, "not a label"),
        ({"start": 0, "end": 2}, "exactly"),
        ({"start": "0", "end": 2, "label": "PER"}, "whole numbers"),
        ({"start": True, "end": 2, "label": "PER"}, "whole numbers"),
    ],
)
def test_bad_spans_say_why(span, message):
    with pytest.raises(InvalidValue, match=message):
        check_value([span], task_type="spans", labels=LABELS, text="short text")


def test_the_same_span_twice_is_refused():
    span = {"start": 0, "end": 2, "label": "PER"}
    with pytest.raises(InvalidValue, match="twice"):
        check_value([span, dict(span)], task_type="spans", labels=LABELS, text="short text")
