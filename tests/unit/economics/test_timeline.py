"""The timeline pictures: the PNG decodes at the promised size, the HTML parses, draws every phase with a
hover title, and loads nothing from the network."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from PIL import Image

from cloudburst.core.timeline import Phase, layout, nice_step
from cloudburst.core.timeline_html import timeline_html
from cloudburst.core.timeline_png import png_size, timeline_png
from cloudburst.models.report import Report
from tests.unit.economics.test_report import _report

VOID = {"meta", "br", "img", "input", "link", "hr"}


@pytest.fixture(scope="module")
def report() -> Report:
    return _report()


class _Checker(HTMLParser):
    """Tracks open tags (the document must close what it opens) and every <rect>'s <title>."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.rect_titles: list[str] = []
        self.rect_classes: list[str] = []
        self._in_title_of_rect = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        if tag == "rect":
            self.rect_classes.append(dict(attrs).get("class") or "")
        if tag == "title" and self.stack and self.stack[-1] == "rect":
            self._in_title_of_rect = True
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack.pop() == tag, f"</{tag}> closes the wrong element"
        self._in_title_of_rect = False

    def handle_data(self, data: str) -> None:
        if self._in_title_of_rect:
            self.rect_titles.append(data)


def test_png_decodes_at_the_documented_size(report: Report) -> None:
    image = Image.open(io.BytesIO(timeline_png(report)))
    assert image.format == "PNG"
    assert image.size == png_size(report) == (1400, 96 + 5 * 44 + 64)
    # The render colour is really drawn (not a blank canvas).
    assert (60, 160, 90) in {color for _, color in image.getcolors(maxcolors=1 << 16) or []}


def test_html_is_well_formed_self_contained_and_titled(report: Report) -> None:
    html = timeline_html(report)
    assert not re.search(r"https?://", html)
    assert "<script" not in html
    assert not re.search(r"\b(src|href)\s*=", html)
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert checker.stack == []
    assert len(checker.rect_titles) == len(layout(report).bars)
    assert any(title.startswith("s05 (cut short) on t1") for title in checker.rect_titles)
    assert {Phase.PULL.value, Phase.RENDER.value, Phase.RENDER_FAILED.value, Phase.STOP.value} <= set(
        checker.rect_classes
    )
    assert "never started: RESOURCE:FARGATE" in html


def test_layout_puts_overlapping_renders_in_separate_lanes(report: Report) -> None:
    span = report.tasks[0].renders[0]
    second = span.model_copy(update={"scene": "sX", "started_at": span.started_at, "finished_at": span.finished_at})
    task = report.tasks[0].model_copy(update={"renders": [*report.tasks[0].renders, second]})
    bars = layout(report.model_copy(update={"tasks": [task]})).bars
    renders = [bar for bar in bars if bar.phase is Phase.RENDER]
    assert {bar.lanes for bar in renders} == {2}
    assert sorted(bar.lane for bar in renders if bar.start == renders[0].start) == [0, 1]


def test_task_phases_come_from_the_records(report: Report) -> None:
    bars = [bar for bar in layout(report).bars if bar.row == 0]
    spans = {bar.phase: (bar.start, bar.end) for bar in bars if bar.phase is not Phase.RENDER}
    assert spans == {
        Phase.PROVISIONING: (5, 20),
        Phase.PULL: (20, 35),
        Phase.BOOT: (35, 40),
        Phase.IDLE: (40, 300),
        Phase.STOP: (300, 310),
    }


@pytest.mark.parametrize(("raw", "step"), [(0.3, 1), (7, 10), (13, 20), (40, 50), (401, 500)])
def test_axis_steps_are_round(raw: float, step: float) -> None:
    assert nice_step(raw) == step
