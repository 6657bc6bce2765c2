"""From a subtitle file to what the video pipelines consume: segments of frames and one overlay per state.

`load_cues` reads and checks the file (it is input validation: errors name the line and are raised before any
encoding), including that the installed fonts can draw every character (see `coverage`). `plan_subtitles`
then fixes the font and layout, wraps every cue once, splits the video's frames into segments, and writes the
time-compressed ASS script that `raster.rasterise` renders (state j at second j). Consumers walk the segments
in order and pull the next overlay whenever a segment shows subtitles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cloudburst.core.subtitle_cues import Cue, SubtitlesRejected, cues_from_bytes
from cloudburst.models.render_options import SubtitleStyle
from cloudburst.renderer.media.inputs import SniffedInput
from cloudburst.renderer.media.rejections import too_large, unreadable, unsupported
from cloudburst.renderer.media.subtitles.ass import ass_document, line_width, text_layout
from cloudburst.renderer.media.subtitles.coverage import describe_chars, installed_coverage, undrawable
from cloudburst.renderer.media.subtitles.fonts import choose_font, fontconfig_lang
from cloudburst.renderer.media.subtitles.timeline import Segment, cue_frames, segments
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
        cues = cues_from_bytes(item.path.read_bytes(), item.format, max_cues)
    except OSError as exc:
        raise unreadable(item.role, f"cannot read the file ({exc.strerror or exc})") from None
    except SubtitlesRejected as exc:
        reject = too_large if exc.too_large else unreadable
        raise reject(item.role, str(exc)) from None
    refuse_undrawable(cues, item.role)
    return cues


def refuse_undrawable(cues: list[Cue], role: str) -> None:
    """Refuse text that no installed font can draw: libass would show empty boxes and the render would succeed
    anyway. An error rather than a warning, because nobody reads a warning on a video that is already
    delivered, and the fix (other fonts on the renderer, or other text) is the caller's to choose."""
    coverage = installed_coverage()
    if coverage is None:
        return
    distinct = "".join({char: None for cue in cues for line in cue.lines for char in line})
    missing = undrawable(distinct, coverage)
    if not missing:
        return
    lacking = set(missing)
    first = next(cue for cue in sorted(cues, key=lambda cue: cue.source_line) if lacking & set("".join(cue.lines)))
    raise unsupported(
        role,
        f"no installed font can draw {describe_chars(missing)} (first in the cue at line {first.source_line}); "
        "the video would show empty boxes",
    )


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
    parts, state_of_segment = subtitle_timeline(cues, fps, total_frames)
    events: list[tuple[float, float, list[str]]] = []
    for part, state in zip(parts, state_of_segment, strict=True):
        if state is None:
            continue
        for index in part.cues:
            if index not in wrapped:
                wrapped[index] = [line for raw in cues[index].lines for line in wrap_line(raw, max_width, measure)]
            events.append((float(state), state + STATE_SHOWN_S, wrapped[index]))
    script = scratch / "subtitles.ass"
    script.write_text(ass_document(style, layout, width, height, events), encoding="utf-8")
    count = sum(1 for known in state_of_segment if known is not None)
    return SubtitlePlan(parts, state_of_segment, script, count, font.family)


def subtitle_timeline(cues: list[Cue], fps: int, total_frames: int) -> tuple[list[Segment], list[int | None]]:
    """The segments of a video `total_frames` long, and the raster state each shows (None: no subtitles).

    States are numbered in order of appearance, and a state is fixed by the cues it shows, so the states of a
    shorter video are the first states of a longer one: a raster started for every cue (`frames_for_every_cue`)
    serves a video of any length, which is what lets it start before the audio has been measured.
    """
    parts = segments(cues, fps, total_frames)
    state_of_segment: list[int | None] = []
    count = 0
    for part in parts:
        state_of_segment.append(count if part.cues else None)
        count += bool(part.cues)
    return parts, state_of_segment


def frames_for_every_cue(cues: list[Cue], fps: int) -> int:
    """A video length (in frames) that shows every cue to its end."""
    return max([1, *(cue_frames(cue, fps)[1] for cue in cues)])


def no_subtitles(total_frames: int) -> list[Segment]:
    return [Segment(0, total_frames, ())]
