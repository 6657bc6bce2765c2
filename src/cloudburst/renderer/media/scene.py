"""The overlays of a scene in frame order: the watermark on every frame, a subtitle state per segment.

Subtitle states are rasterised on demand by a streaming ffmpeg (`subtitles.raster.Rasteriser`), which
`SegmentOverlays` owns: `close()` ends it at once, whether the render finished, failed or was cancelled.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from cloudburst.renderer.media.overlay import Overlay
from cloudburst.renderer.media.subtitles.raster import Rasteriser
from cloudburst.renderer.media.subtitles.timeline import Segment


@dataclass
class SegmentOverlays:
    """The overlays of each segment, in order: the watermark (if any) under the segment's subtitles."""

    segments: list[Segment]
    watermark: Overlay | None
    raster: Rasteriser | None = None  # one overlay per segment that shows subtitles
    state_of_segment: list[int | None] = field(default_factory=list)

    def per_segment(self) -> Iterator[tuple[Segment, list[Overlay]]]:
        for index, segment in enumerate(self.segments):
            subtitle = None
            if self.raster is not None and self.state_of_segment[index] is not None:
                subtitle = self.raster.next_overlay()
            yield segment, [overlay for overlay in (self.watermark, subtitle) if overlay is not None]

    def per_frame(self) -> Iterator[list[Overlay]]:
        for segment, overlays in self.per_segment():
            for _ in range(segment.frames):
                yield overlays

    def close(self) -> None:
        """Stop the subtitle rasteriser (and its ffmpeg) if it is still running."""
        if self.raster is not None:
            self.raster.close()
