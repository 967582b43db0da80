"""The one chart module, alone: geometry from plain numbers, and markup that escapes every name."""

import re

import pytest
from django.template import Context, Template

from config import charts


def test_a_histogram_draws_shares_of_reference_and_batch():
    chart = charts.histogram_geometry({"edges": [0, 1, 2, 4], "reference": [10, 30, 60], "batch": [0, 0, 5]})
    assert [b.label for b in chart.bins] == ["0\u20131", "1\u20132", "2\u20134"]
    assert [round(b.reference_share, 2) for b in chart.bins] == [0.1, 0.3, 0.6]
    assert [b.batch_share for b in chart.bins] == [0.0, 0.0, 1.0]
    assert chart.bins[2].batch_height == chart.plot_height
    assert charts.histogram_geometry({"categories": ["a"], "reference": [0], "batch": [0]}).bins[0].batch_height == 0
    assert charts.histogram_geometry(None) is None
    assert charts.histogram_geometry({"reference": [1], "batch": [1]}) is None


def test_a_histogram_fills_its_card_across_and_keeps_its_text_size():
    chart = charts.histogram_geometry({"categories": ["a", "b"], "reference": [1, 1], "batch": [1, 1]})
    svg = charts.histogram(chart, title="t")
    assert 'width="100%"' in svg and "viewBox" not in svg  # stretched across, not scaled
    last = chart.bins[-1]
    assert last.x_pct + 2 * last.bar_pct <= 100 and last.x_pct + 2 * last.bar_pct > 90


def test_labels_too_wide_for_their_bars_are_slanted_and_get_room():
    few = charts.histogram_geometry({"categories": ["a", "b", "c"], "reference": [1, 1, 1], "batch": [1, 1, 1]})
    assert few.slanted is False and few.height == few.plot_height + charts.LABEL_ROOM
    words = [f"token{n:02d}-long" for n in range(21)]
    many = charts.histogram_geometry({"categories": words, "reference": [1] * 21, "batch": [1] * 21})
    assert many.slanted is True and many.left > 0  # the first slanted label starts inside the figure
    assert many.height >= many.plot_height + len(words[0]) * charts.CHAR_WIDTH * 0.7  # they fit below
    ratings = charts.histogram_geometry(
        {"edges": [0.5, 1.5, 2.5], "labels": ["1", "2"], "reference": [1, 3], "batch": [2, 2]}
    )
    assert [b.label for b in ratings.bins] == ["1", "2"] and ratings.slanted is False


def test_a_category_the_reference_never_had_is_named_new():
    chart = charts.histogram_geometry({"categories": ["app", "WEB"], "reference": [1.0, 0.0], "batch": [0.9, 0.1]})
    assert chart.new_categories == ["WEB"]
    assert ">WEB (new)</text>" in charts.histogram(chart, title="channel")
    numeric = charts.histogram_geometry({"edges": [0, 1, 2], "reference": [1, 0], "batch": [1, 1]})
    assert numeric.new_categories == []  # an empty bin of numbers is no new category


def test_the_version_bars_show_what_each_version_inherited_and_added():
    svg = charts.version_bars([(2, 100, 40), (1, 60, 60)])
    widths = [float(w) for w in re.findall(r'class="bar-\w+".*?width="([\d.]+)%"', svg)]
    assert re.findall(r"<text[^>]*>(v\d)</text>", svg) == ["v1", "v2"]
    assert widths == pytest.approx([0, 34.8, 34.8, 23.2])
    assert charts.version_bars([]) is None


def test_the_bar_chart_fills_its_card_with_readable_text_and_escapes_names():
    svg = charts.bar_chart(rows=[("<b>x</b>", 0.5, "(3 uses)"), ("none", None, "")], label="per label")
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg
    assert 'width="100%"' in svg and "viewBox" not in svg
    assert "no figure" in svg and 'class="bars"' in svg


def test_chart_markup_goes_into_templates_as_it_is():
    svg = charts.interval(value=0.5, low=0.4, high=0.6)
    assert Template("{{ svg }}").render(Context({"svg": svg})) == svg
