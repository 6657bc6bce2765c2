"""Making the frames of a moving scene from the base picture, in NV12, without decoding anything per frame.

The base picture (the composed canvas at the scale `sampling.choose_base_scale` picked) is converted to NV12
once and given a replicated margin, so every region the sampler asks for is in memory. Each frame is then one
bilinear resize (`resample`) of a luma region and one of the interleaved chroma region (under 1 ms at 1080p on
one core), started at the planned sub-pixel offset, or, for the rare frames the cut cannot place within
tolerance, an exact `cv2.warpAffine`. Frames are made straight into the memory the pipe reads (`WireLayout`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cloudburst.renderer.media.colour import U8, Nv12, frame_bytes, rgb_to_nv12
from cloudburst.renderer.media.pipeio import page_buffer
from cloudburst.renderer.media.resample import resize_linear
from cloudburst.renderer.media.sampling import AxisCut, FrameCut, resized_length

WARP_FLAGS = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP


@dataclass(frozen=True)
class BasePicture:
    y: U8  # (height + 2 * margin) x (width + 2 * margin)
    uv: U8  # (height / 2 + 2 * margin / 2) x (width / 2 + 2 * margin / 2) x 2
    margin: int  # luma samples; even, so the chroma margin is margin / 2
    width: int
    height: int


def make_base(canvas_rgb: U8, margin: int) -> BasePicture:
    margin += margin % 2
    picture = rgb_to_nv12(canvas_rgb)
    y = cv2.copyMakeBorder(picture.y, margin, margin, margin, margin, cv2.BORDER_REPLICATE)
    half = margin // 2
    uv = cv2.copyMakeBorder(picture.uv, half, half, half, half, cv2.BORDER_REPLICATE)
    return BasePicture(np.asarray(y), np.asarray(uv), margin, picture.width, picture.height)


WIRE_ALIGN = 32
"""Row strides are a multiple of this many bytes (a vector register): x264 copies the rows it is given."""


@dataclass(frozen=True)
class WireLayout:
    """How a moving scene's frames lie in memory, which is also how they go down the pipe to the encoder.

    A resize returns a few more columns and rows than the frame has (the cut keeps them from a sub-pixel skip
    on, see `sampling`), so a frame is a view whose rows are further apart than they are long. Handed to the
    pipe row by row, such a frame cost almost as much as making it: a pipe buffer per row, and as much again
    for ffmpeg to read them back (measured: 3.4 ms of CPU per 1080p frame, writer and reader together).
    Instead both planes are made with rows `stride` bytes apart, and the encoder is told the frames are
    `stride` pixels wide and crops the left `width` columns (a crop only moves pointers; x264 copies the rows
    it is given either way). Each plane of a frame is then one run of memory from its first kept sample on:
    two iovecs, whole pages in the pipe (1.5 ms). What follows `width` in each row it sends is the resize's
    surplus and the start of the next row, and is cropped.
    """

    width: int
    height: int
    stride: int  # bytes per row, in both planes (luma samples; chroma Cb/Cr pairs take two)
    luma_rows: int
    chroma_rows: int

    @classmethod
    def for_scales(cls, width: int, height: int, min_scale: float) -> WireLayout:
        """Room for any resize of `plan_cut` at `min_scale` or more base samples per output sample."""
        longest = max(resized_length(width, min_scale), 2 * resized_length(width // 2, min_scale))
        stride = -(-longest // WIRE_ALIGN) * WIRE_ALIGN
        # One row more than a resize returns: a plane sent from a skipped origin ends in the row after it.
        luma_rows = resized_length(height, min_scale) + 1
        chroma_rows = resized_length(height // 2, min_scale) + 1
        return cls(width, height, stride, luma_rows, chroma_rows)

    @property
    def frame_bytes(self) -> int:
        return frame_bytes(self.stride, self.height)


@dataclass(frozen=True)
class Frame:
    """A made frame: `wire` is what the encoder reads (planes `stride` wide, each contiguous), `picture` the
    frame itself (its left `width` columns, views of the same memory: overlays drawn on it are sent)."""

    wire: Nv12
    width: int

    @property
    def picture(self) -> Nv12:
        return Nv12(self.wire.y[:, : self.width], self.wire.uv[:, : self.width // 2])


class _WirePlane:
    """One plane's memory in a slot: `rows` rows of `stride` bytes, in pages of its own (it may be spliced to
    the encoder, see `pipeio`)."""

    def __init__(self, rows: int, stride: int, channels: int) -> None:
        self._data = page_buffer(rows * stride)
        self._rows, self._stride, self._channels = rows, stride, channels

    def area(self, rows: int, samples: int) -> U8:
        """A rows x samples destination at the top left (for a resize or a warp)."""
        if rows > self._rows or samples * self._channels > self._stride:
            raise ValueError(f"a {rows}x{samples} area does not fit the wire layout: the cut planner is wrong")
        return self._shaped(0, rows)[:, :samples]

    def wire(self, row: int, sample: int, rows: int) -> U8:
        """`rows` whole rows of the stride, starting at (row, sample): contiguous, ready for the pipe."""
        offset = row * self._stride + sample * self._channels
        if offset + rows * self._stride > self._data.size:
            raise ValueError(f"a plane sent from ({row}, {sample}) would run past the slot")
        return self._shaped(offset, rows)

    def _shaped(self, offset: int, rows: int) -> U8:
        flat = self._data[offset : offset + rows * self._stride]
        if self._channels == 1:
            return flat.reshape(rows, self._stride)
        return flat.reshape(rows, self._stride // self._channels, self._channels)


class FrameSlot:
    """The memory one frame is made in, laid out as `WireLayout` says. `moving` reuses a slot only once the
    encoder has read its frame."""

    def __init__(self, layout: WireLayout) -> None:
        self.layout = layout
        self.luma = _WirePlane(layout.luma_rows, layout.stride, 1)
        self.chroma = _WirePlane(layout.chroma_rows, layout.stride, 2)

    def frame(self, luma: tuple[int, int], chroma: tuple[int, int]) -> Frame:
        """The frame whose first kept samples are at these (row, sample) positions of the two planes."""
        height = self.layout.height
        wire = Nv12(self.luma.wire(*luma, height), self.chroma.wire(*chroma, height // 2))
        return Frame(wire, self.layout.width)


class FrameMaker:
    """Makes the frames of a moving scene from one base picture."""

    def __init__(self, base: BasePicture) -> None:
        # x264 already keeps every core busy; OpenCV's own worker threads would only add contention and
        # spinning, so resizes run on the producer thread alone (about 10% less CPU per frame, measured).
        cv2.setNumThreads(1)
        self.base = base

    def render(self, cut: FrameCut, slot: FrameSlot) -> Frame:
        """The frame `cut` describes, made in `slot`."""
        base = self.base
        if not cut.fast:
            _warp(base, cut, slot)
            return slot.frame((0, 0), (0, 0))
        scales = {"scale_x": cut.scale_x, "scale_y": cut.scale_y}
        _resize_cut(base.y, base.margin, **scales, cut_x=cut.luma_x, cut_y=cut.luma_y, into=slot.luma)
        _resize_cut(base.uv, base.margin // 2, **scales, cut_x=cut.chroma_x, cut_y=cut.chroma_y, into=slot.chroma)
        return slot.frame((cut.luma_y.skip, cut.luma_x.skip), (cut.chroma_y.skip, cut.chroma_x.skip))


def _resize_cut(
    plane: U8, margin: int, *, scale_x: float, scale_y: float, cut_x: AxisCut, cut_y: AxisCut, into: _WirePlane
) -> None:
    """Resize the cut's region into the top left of `into` (the frame starts at the cut's skip)."""
    x0, y0 = cut_x.origin + margin, cut_y.origin + margin
    region = plane[y0 : y0 + cut_y.region, x0 : x0 + cut_x.region]
    fx, fy = 1.0 / scale_x, 1.0 / scale_y
    # The size OpenCV gives the result (it rounds to nearest, as Python's round does): resize into it directly.
    target = into.area(round(region.shape[0] * fy), round(region.shape[1] * fx))
    resize_linear(region, target, fx, fy)


def render_frame(base: BasePicture, cut: FrameCut, width: int, height: int) -> Nv12:
    """One frame, as contiguous planes of its own (tests and one-offs)."""
    slot = FrameSlot(WireLayout.for_scales(width, height, min(cut.scale_x, cut.scale_y)))
    picture = FrameMaker(base).render(cut, slot).picture
    return Nv12(np.ascontiguousarray(picture.y), np.ascontiguousarray(picture.uv))


def _warp(base: BasePicture, cut: FrameCut, slot: FrameSlot) -> None:
    """The exact (slower) path: an affine warp with the cut's true offsets, into the slot's top left."""
    luma = np.array(
        [[cut.scale_x, 0.0, cut.luma_offset[0] + base.margin], [0.0, cut.scale_y, cut.luma_offset[1] + base.margin]]
    )
    half = base.margin // 2
    chroma = np.array(
        [[cut.scale_x, 0.0, cut.chroma_offset[0] + half], [0.0, cut.scale_y, cut.chroma_offset[1] + half]]
    )
    width, height = slot.layout.width, slot.layout.height
    y, uv = slot.luma.area(height, width), slot.chroma.area(height // 2, width // 2)
    border = cv2.BORDER_REPLICATE
    cv2.warpAffine(base.y, luma, (width, height), dst=y, flags=WARP_FLAGS, borderMode=border)
    cv2.warpAffine(base.uv, chroma, (width // 2, height // 2), dst=uv, flags=WARP_FLAGS, borderMode=border)
