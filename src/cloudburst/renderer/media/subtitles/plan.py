"""From a subtitle file to what the video pipelines consume: segments of frames and one overlay per state.

`load_cues` reads and checks the file (it is input validation: errors name the line and are raised before any
encoding). `plan_subtitles` then fixes the font and layout, wraps every cue once, splits the video's frames
into segments, and writes the time-compressed ASS script that `raster.rasterise` renders (state j at second
j). Consumers walk the segments in order and pull the next overlay whenever a segment shows subtitles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cloudburst.core.subtitle_cues import Cue, SubtitlesRejected, cues_from_bytes
from cloudburst.models.render_options import SubtitleStyle
from cloudburst.renderer.media.inputs import SniffedInput
from cloudburst.renderer.media.rejections import too_large, unreadable
from cloudburst.renderer.media.subtitles.ass import ass_document, line_width, text_layout
from cloudburst.renderer.media.subtitles.fonts import choose_font, fontconfig_lang
from cloudburst.renderer.media.subtitles.timeline import Segment, segments
from cloudburst.renderer.media.subtitles.wrap import font_measure, wrap_line

STATE_SHOWN_S = 0.5
"""How long each state's events last in the compressed script (state j covers [j, j + 0.5) s)."""


@dataclass(frozen=True)
class SubtitlePlan:
    segments: list[Segment]
    state_of_segment: list[int | None]  # raster state index for each segment (None: no subtitles)
    script: Path
    state_count: int
    font_family: str

    @property
    def distinct_pictures(self) -> int:
        return len(self.segments)


def load_cues(item: SniffedInput, max_cues: int) -> list[Cue]:
    try:
        return cues_from_bytes(item.path.read_bytes(), item.format, max_cues)
    except OSError as exc:
        raise unreadable(item.role, f"cannot read the file ({exc.strerror or exc})") from None
    except SubtitlesRejected as exc:
        reject = too_large if exc.too_large else unreadable
        raise reject(item.role, str(exc)) from None


def plan_subtitles(
    cues: list[Cue],
    style: SubtitleStyle,
    *,
    width: int,
    height: int,
    fps: int,
    total_frames: int,
    scratch: Path,
) -> SubtitlePlan:
    sample = "".join("".join(cue.lines) for cue in cues[:200])
    lang = fontconfig_lang(style.language, sample)
    font = choose_font(style.font, lang, style.bold)
    layout = text_layout(style, font, width, height)
    measure = font_measure(font, layout.font_size)
    max_width = line_width(layout, width)
    wrapped: dict[int, list[str]] = {}
    parts = segments(cues, fps, total_frames)
    state_of_segment: list[int | None] = []
    events: list[tuple[float, float, list[str]]] = []
    for part in parts:
        if not part.cues:
            state_of_segment.append(None)
            continue
        state = sum(1 for known in state_of_segment if known is not None)
        state_of_segment.append(state)
        for index in part.cues:
            if index not in wrapped:
                wrapped[index] = [line for raw in cues[index].lines for line in wrap_line(raw, max_width, measure)]
            events.append((float(state), state + STATE_SHOWN_S, wrapped[index]))
    script = scratch / "subtitles.ass"
    script.write_text(ass_document(style, layout, width, height, events), encoding="utf-8")
    count = sum(1 for known in state_of_segment if known is not None)
    return SubtitlePlan(parts, state_of_segment, script, count, font.family)


def no_subtitles(total_frames: int) -> list[Segment]:
    return [Segment(0, total_frames, ())]
