"""The overview's SVG charts are well-formed, accessible images whose bars match the numbers,
and their tables carry those numbers for screen readers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest

from askbot.web.charts import chart_id, data_table, histogram, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"
COLOURS = {"answer": "#1a7f37", "clarify": "#9a6700", "fallback": "#cf222e"}
DEFAULTS = [*COLOURS.values(), "#0969da"]  # the page's colours (helpful, unhelpful repeat two)


def bars(svg: ET.Element) -> list[ET.Element]:
    group = svg.find(f"{SVG}g[@class='bars']")
    assert group is not None
    return group.findall(f"{SVG}rect")


def texts(svg: ET.Element) -> list[str]:
    return [text.text or "" for text in svg.iter(f"{SVG}text")]


def contrast(colour: str, background: str = "#ffffff") -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(colour), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_a_stacked_bar_chart_is_an_image_named_by_its_title() -> None:
    markup = stacked_bars("Questions per day", ["2026-12-01"], {"answer": [2]}, COLOURS)
    svg = ET.fromstring(markup)
    ident = chart_id("Questions per day")
    assert ident.startswith("chart-questions-per-day-")
    assert (svg.tag, svg.get("role"), svg.get("id")) == (f"{SVG}svg", "img", ident)
    title = svg.find(f"{SVG}title")
    assert title is not None and title.text == "Questions per day"
    assert svg.get("aria-labelledby") == title.get("id") == f"{ident}-title"
    # Scales to its container: a viewBox, no fixed pixel width.
    assert svg.get("width") == "100%" and svg.get("viewBox") == "0 0 480 280"
    assert svg.get("height") is None


def test_each_nonzero_value_is_one_bar_as_tall_as_its_share_of_the_axis() -> None:
    labels = ["2026-12-01", "2026-12-02", "2026-12-03"]
    series = {"answer": [3, 0, 1], "clarify": [1, 0, 0], "fallback": [4, 0, 2]}
    svg = ET.fromstring(stacked_bars("Decisions", labels, series, COLOURS))
    rects = bars(svg)
    assert [(r.get("fill"), r.findtext(f"{SVG}title")) for r in rects] == [
        ("#1a7f37", "2026-12-01, answer: 3"),
        ("#9a6700", "2026-12-01, clarify: 1"),
        ("#cf222e", "2026-12-01, fallback: 4"),
        ("#1a7f37", "2026-12-03, answer: 1"),
        ("#cf222e", "2026-12-03, fallback: 2"),
    ]
    heights = [float(r.get("height", "")) for r in rects]
    per_unit = heights[0] / 3
    assert heights == pytest.approx([3 * per_unit, per_unit, 4 * per_unit, per_unit, 2 * per_unit])
    assert "10" in texts(svg)  # the y axis' top tick: the nice number above the tallest (8)
    assert 8 * per_unit == pytest.approx(0.8 * (280 - 36 - 30))
    # Stacked: each segment starts where the one below it ends.
    first = rects[:3]
    for lower, upper in pairwise(first):
        top_of_lower = float(lower.get("y", ""))
        assert float(upper.get("y", "")) + float(upper.get("height", "")) == pytest.approx(
            top_of_lower
        )
    assert "no data" not in texts(svg)


def test_the_legend_names_every_series_in_its_colour() -> None:
    series = {"helpful": [1], "unhelpful": [0]}
    colours = {"helpful": "#1a7f37", "unhelpful": "#cf222e"}
    svg = ET.fromstring(stacked_bars("Feedback", ["2026-12-01"], series, colours))
    legend = svg.find(f"{SVG}g[@class='legend']")
    assert legend is not None
    assert [r.get("fill") for r in legend.findall(f"{SVG}rect")] == ["#1a7f37", "#cf222e"]
    assert [t.text for t in legend.findall(f"{SVG}text")] == ["helpful", "unhelpful"]


def test_text_is_escaped_and_the_markup_has_no_script_or_inline_style() -> None:
    title = 'Days <script>alert("x")</script> & more'
    markup = stacked_bars(title, ["<b>day</b>"], {"a<i>": [1]}, {"a<i>": '"red"'})
    svg = ET.fromstring(markup)  # well-formed despite the markup in the inputs
    assert svg.findtext(f"{SVG}title") == title
    assert "<script" not in markup and "<b>" not in markup and "<i>" not in markup
    assert "&lt;script&gt;" in markup
    assert all(element.get("style") is None for element in svg.iter())
    assert not any(
        name.startswith("on") for element in svg.iter() for name in element.attrib
    )  # no inline event handlers
    assert "href" not in markup  # no external resources


def test_all_zeros_draw_an_empty_chart_that_says_no_data() -> None:
    svg = ET.fromstring(stacked_bars("Nothing", ["d1", "d2"], {"answer": [0, 0]}, COLOURS))
    assert bars(svg) == []
    assert "no data" in texts(svg)
    svg = ET.fromstring(stacked_bars("No days", [], {"answer": []}, COLOURS))
    assert "no data" in texts(svg)


def test_ids_differ_between_charts_and_survive_titles_without_latin_letters() -> None:
    assert chart_id("Feedback per day") != chart_id("Questions per day")
    assert chart_id("Feedback: per day") != chart_id("Feedback per day")  # same slug
    korean = chart_id("하루 질문 수")
    assert korean.startswith("chart-") and korean.isascii()


def test_many_labels_are_thinned_so_they_do_not_overlap() -> None:
    labels = [f"2026-12-{day:02d}" for day in range(1, 31)]
    svg = ET.fromstring(stacked_bars("Month", labels, {"answer": [1] * 30}, COLOURS))
    group = svg.find(f"{SVG}g[@class='labels']")
    assert group is not None
    shown = group.findall(f"{SVG}text")
    assert 2 <= len(shown) < 30 and shown[0].text == "2026-12-01"
    xs = [float(t.get("x", "")) for t in shown]
    assert all(b - a >= 10 * 0.6 * 14 for a, b in pairwise(xs))
    assert all(0 <= x <= 480 for x in xs)
    assert len(bars(svg)) == 30


def test_mismatched_or_uncoloured_series_are_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 1 labels"):
        stacked_bars("x", ["d"], {"answer": [1, 2]}, COLOURS)
    with pytest.raises(ValueError, match="no colour"):
        stacked_bars("x", ["d"], {"other": [1]}, COLOURS)
    with pytest.raises(ValueError, match="negative"):
        stacked_bars("x", ["d"], {"answer": [-1]}, COLOURS)


def test_a_histogram_draws_one_bar_per_nonempty_bin_with_the_edges_below() -> None:
    bins = [(k / 10, (k + 1) / 10, count) for k, count in enumerate([0, 2, 0, 0, 1, 0, 0, 0, 4, 8])]
    svg = ET.fromstring(histogram("Confidence", bins, "#0969da"))
    assert svg.get("role") == "img" and svg.findtext(f"{SVG}title") == "Confidence"
    rects = bars(svg)
    assert [r.get("fill") for r in rects] == ["#0969da"] * 4
    assert [r.findtext(f"{SVG}title") for r in rects] == ["0.1–0.2: 2", "0.4–0.5: 1",
                                                          "0.8–0.9: 4", "0.9–1: 8"]  # fmt: skip
    heights = [float(r.get("height", "")) for r in rects]
    assert heights == pytest.approx([heights[1] * n for n in (2, 1, 4, 8)])
    assert float(rects[0].get("x", "")) < float(rects[1].get("x", ""))
    labels = svg.find(f"{SVG}g[@class='labels']")
    assert labels is not None
    shown = [t.text for t in labels.findall(f"{SVG}text")]
    assert shown[0] == "0" and "1" in shown
    assert svg.find(f"{SVG}g[@class='legend']") is None
    empty = ET.fromstring(histogram("Confidence", [(0.0, 0.5, 0), (0.5, 1.0, 0)], "#0969da"))
    assert bars(empty) == [] and "no data" in texts(empty)


def test_the_pages_colours_stand_out_from_white() -> None:
    assert contrast("#000000") == pytest.approx(21)
    assert all(contrast(colour) >= 3 for colour in DEFAULTS), [contrast(c) for c in DEFAULTS]


def test_a_data_table_has_a_caption_column_headers_and_row_headers() -> None:
    markup = data_table(
        "Questions <per> day", ["day", "answer", "fallback"],
        [["2026-12-01", 3, 1], ["2026-12-02", 0, 2]],
    )  # fmt: skip
    table = ET.fromstring(markup)
    assert table.tag == "table" and table.findtext("caption") == "Questions <per> day"
    assert "&lt;per&gt;" in markup
    header = table.findall("thead/tr/th")
    assert [(th.text, th.get("scope")) for th in header] == [
        ("day", "col"), ("answer", "col"), ("fallback", "col")
    ]  # fmt: skip
    rows = table.findall("tbody/tr")
    assert [(th.get("scope"), th.text) for th in table.findall("tbody/tr/th")] == [
        ("row", "2026-12-01"), ("row", "2026-12-02")
    ]  # fmt: skip
    assert [[td.text for td in row.findall("td")] for row in rows] == [["3", "1"], ["0", "2"]]
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        data_table("x", ["a", "b", "c"], [["only", 1]])
