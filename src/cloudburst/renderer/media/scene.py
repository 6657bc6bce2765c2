"""The overlays of a scene in frame order: the watermark on every frame, a subtitle state per segment.

Subtitle states are rasterised on demand by a streaming ffmpeg (`subtitles.raster.Rasteriser`), which
`StartedSubtitles` owns: its `close()` ends it at once, whether the render finished, failed or was
cancelled. `SegmentOverlays` only reads the states from it, in order.

The rasteriser starts while the audio is still being measured (`StartedSubtitles`): its ffmpeg's start-up
and libass loading the fonts take 0.1-0.2 s, which the first frame used to wait for once the check was over.
It is started for every cue, and the states of the real video are the first of them (`subtitle_timeline`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cloudburst.core.subtitle_cues import Cue
from cloudburst.models.render_options import SubtitleStyle
from cloudburst.renderer.media.overlay import Overlay
from cloudburst.renderer.media.process import Cancel
from cloudburst.renderer.media.subtitles.plan import frames_for_every_cue, plan_subtitles, subtitle_timeline
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


class StartedSubtitles:
    """The scene's subtitle raster, started for every cue before the video's length is known."""

    def __init__(
        self,
        cues: list[Cue],
        style: SubtitleStyle,
        *,
        width: int,
        height: int,
        fps: int,
        scratch: Path,
        cancel: Cancel | None = None,
    ) -> None:
        self._cues, self._fps = cues, fps
        every_cue = frames_for_every_cue(cues, fps)
        plan = plan_subtitles(cues, style, width=width, height=height, fps=fps, total_frames=every_cue, scratch=scratch)
        translucent = style.box and style.box_opacity < 1.0
        self._raster = Rasteriser(plan.script, width, height, plan.state_count, translucent=translucent, cancel=cancel)

    def overlays(self, total_frames: int, watermark: Overlay | None) -> SegmentOverlays:
        """The overlays of a video `total_frames` long, reading their states from this raster."""
        segments, state_of_segment = subtitle_timeline(self._cues, self._fps, total_frames)
        return SegmentOverlays(segments, watermark, self._raster, state_of_segment)

    def close(self) -> None:
        """Stop the rasteriser's ffmpeg if it is still running (safe to call more than once)."""
        self._raster.close()
