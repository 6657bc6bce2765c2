"""The timeline as one self-contained HTML file: inline SVG and CSS, a hover title on every bar, nothing
loaded from anywhere (it opens offline, from an S3 download or an e-mail attachment)."""

from __future__ import annotations

from html import escape

from cloudburst.core.timeline import PHASE_LABELS, Bar, Phase, Timeline, layout
from cloudburst.models.report import Report

WIDTH = 1200
LEFT = 280
RIGHT = 20
TOP = 40
ROW_HEIGHT = 30
ROW_GAP = 10

COLORS = {
    Phase.PROVISIONING: "#d6d6d6",
    Phase.PULL: "#5a82c8",
    Phase.BOOT: "#96b4e6",
    Phase.IDLE: "#f0ecdc",
    Phase.RENDER: "#3ca05a",
    Phase.RENDER_FAILED: "#d2463c",
    Phase.STOP: "#eba03c",
}

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1e1e1e; }
h1 { font-size: 20px; margin: 0 0 4px; }
p.sub { color: #666; margin: 0 0 16px; }
svg { max-width: 100%; height: auto; }
svg text { font: 12px system-ui, sans-serif; fill: #1e1e1e; }
svg text.detail, svg text.tick { fill: #787878; }
svg text.note { fill: #d2463c; }
svg text.in-bar { fill: #fff; pointer-events: none; }
svg line.grid { stroke: #e4e4e4; }
svg rect:hover { stroke: #1e1e1e; stroke-width: 1.5; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 18px; }
ul.legend span { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px; }
""" + "".join(f"svg rect.{phase.value} {{ fill: {color}; }}\n" for phase, color in COLORS.items())


def timeline_html(report: Report) -> str:
    """The report's timeline as a complete HTML document."""
    timeline = layout(report)
    height = TOP + max(1, len(timeline.rows)) * (ROW_HEIGHT + ROW_GAP) + 10
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(timeline.title)} · timeline</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(timeline.title)}</h1>",
        f'<p class="sub">{escape(timeline.subtitle)}</p>',
        f'<svg viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{escape(timeline.title)} timeline">',
        *_axis(timeline, height),
        *_rows(timeline),
        *(_bar(timeline, bar) for bar in sorted(timeline.bars, key=lambda b: b.phase is not Phase.IDLE)),
        "</svg>",
        '<ul class="legend">',
        *(
            f'<li><span style="background: {COLORS[phase]}"></span>{escape(label)}</li>'
            for phase, label in PHASE_LABELS.items()
        ),
        "</ul>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _x(timeline: Timeline, seconds: float) -> float:
    return LEFT + seconds / timeline.span_seconds * (WIDTH - LEFT - RIGHT)


def _axis(timeline: Timeline, height: int) -> list[str]:
    lines = []
    for tick in timeline.ticks():
        x = _x(timeline, tick)
        lines.append(f'<line class="grid" x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height}"></line>')
        lines.append(f'<text class="tick" x="{x + 2:.1f}" y="{TOP - 12}">{tick:g} s</text>')
    return lines


def _rows(timeline: Timeline) -> list[str]:
    lines = []
    for index, row in enumerate(timeline.rows):
        top = TOP + index * (ROW_HEIGHT + ROW_GAP)
        lines.append(f'<text x="4" y="{top + 12}">{escape(row.label)}</text>')
        lines.append(f'<text class="detail" x="4" y="{top + 27}">{escape(row.detail)}</text>')
        if row.note:
            lines.append(f'<text class="note" x="{LEFT + 6}" y="{top + 19}">{escape(row.note)}</text>')
    return lines


def _bar(timeline: Timeline, bar: Bar) -> str:
    lane_height = ROW_HEIGHT / bar.lanes
    y = TOP + bar.row * (ROW_HEIGHT + ROW_GAP) + bar.lane * lane_height
    x = _x(timeline, bar.start)
    width = max(_x(timeline, bar.end) - x, 1.0)
    rect = (
        f'<rect class="{bar.phase.value}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
        f'height="{lane_height - (1 if bar.lanes > 1 else 0):.1f}"><title>{escape(bar.title)}</title></rect>'
    )
    if bar.label and len(bar.label) * 7 + 6 < width and lane_height >= 14:
        rect += f'<text class="in-bar" x="{x + 3:.1f}" y="{y + lane_height / 2 + 4:.1f}">{escape(bar.label)}</text>'
    return rect
