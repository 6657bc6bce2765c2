"""When each cue is on screen, in frames, and the distinct subtitle states that follow from it.

Frame n (time n/fps) shows a cue when start <= n/fps < end, computed in integers (milliseconds x fps), so
the still and the motion pipelines agree frame for frame. A *segment* is a run of frames with the same set of
visible cues; the pipeline renders each segment's subtitles once and reuses them for all its frames.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from cloudburst.core.subtitle_cues import Cue


@dataclass(frozen=True)
class Segment:
    start: int  # first frame
    end: int  # frame after the last
    cues: tuple[int, ...]  # indices into the cue list, in display order

    @property
    def frames(self) -> int:
        return self.end - self.start


def first_frame_at_or_after(millis: int, fps: int) -> int:
    """The smallest n with n / fps >= millis / 1000."""
    return -(-millis * fps // 1000)


def cue_frames(cue: Cue, fps: int) -> tuple[int, int]:
    return first_frame_at_or_after(cue.start_ms, fps), first_frame_at_or_after(cue.end_ms, fps)


def segments(cues: Sequence[Cue], fps: int, total_frames: int) -> list[Segment]:
    """Consecutive segments covering frames [0, total_frames); cues outside the video are ignored.

    A sweep over the cue boundaries: O(n log n) in the number of cues (20,000 cues stay instant).
    """
    starting: dict[int, list[int]] = {}
    ending: dict[int, list[int]] = {}
    for index, cue in enumerate(cues):
        first, end = cue_frames(cue, fps)
        first, end = max(0, first), min(total_frames, end)
        if end > first:
            starting.setdefault(first, []).append(index)
            ending.setdefault(end, []).append(index)
    bounds = sorted({0, total_frames, *starting, *ending})
    active: set[int] = set()
    result: list[Segment] = []
    for start, end in itertools.pairwise(bounds):
        active.difference_update(ending.get(start, ()))
        active.update(starting.get(start, ()))
        visible = tuple(sorted(active))
        first = result.pop().start if result and result[-1].cues == visible else start
        result.append(Segment(first, end, visible))
    return result
