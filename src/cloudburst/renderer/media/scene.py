"""What a scene looks like, prepared once before encoding: base picture, overlays, segments, camera path.

`prepare_scene` turns the checked inputs and options into a `ScenePlan`; the two encoders (`held` for still
scenes, `moving` for the others) only consume it. Overlays come out in frame order: the watermark is the
same for every frame, the subtitle overlay changes per segment and is rasterised on demand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cloudburst.renderer.media.overlay import Overlay
from cloudburst.renderer.media.subtitles.timeline import Segment


@dataclass(frozen=True)
class SegmentOverlays:
    """The overlays of each segment, in order: the watermark (if any) under the segment's subtitles."""

    segments: list[Segment]
    watermark: Overlay | None
    subtitles: Iterator[Overlay | None]  # one per segment, consumed in order

    def per_segment(self) -> Iterator[tuple[Segment, list[Overlay]]]:
        for segment, subtitle in zip(self.segments, self.subtitles, strict=False):
            yield segment, [overlay for overlay in (self.watermark, subtitle) if overlay is not None]

    def per_frame(self) -> Iterator[list[Overlay]]:
        for segment, overlays in self.per_segment():
            for _ in range(segment.frames):
                yield overlays


def subtitle_overlays(state_of_segment: list[int | None], raster: Iterator[Overlay | None]) -> Iterator[Overlay | None]:
    """Per segment, its rasterised state (pulled from `raster` in order) or None."""
    for state in state_of_segment:
        yield next(raster) if state is not None else None
