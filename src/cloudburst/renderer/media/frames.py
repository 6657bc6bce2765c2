"""Making the frames of a moving scene from the base picture, in NV12, without decoding anything per frame.

The base picture (the composed canvas at the scale `sampling.choose_base_scale` picked) is converted to NV12
once and given a replicated margin, so every region the sampler asks for is in memory. Each frame is then one
`cv2.resize` of a luma region and one of the interleaved chroma region (about 2 ms at 1080p on one core),
cropped at the planned sub-pixel offset, or, for the rare frames the cut cannot place within tolerance, an
exact `cv2.warpAffine`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cloudburst.renderer.media.colour import U8, Nv12, rgb_to_nv12
from cloudburst.renderer.media.pipeio import page_buffer
from cloudburst.renderer.media.sampling import AxisCut, FrameCut

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


class FrameBuffer:
    """One NV12 frame in a single contiguous buffer (what is written to the encoder), with plane views."""

    def __init__(self, width: int, height: int) -> None:
        self.data = page_buffer(width * height * 3 // 2)  # it may be spliced to the encoder (see `pipeio`)
        self.y = self.data[: width * height].reshape(height, width)
        self.uv = self.data[width * height :].reshape(height // 2, width // 2, 2)

    def as_picture(self) -> Nv12:
        return Nv12(self.y, self.uv)


class FrameSlot:
    """The buffers one frame is made in: resize destinations for luma and chroma (the frame is a cropped view
    of them, never copied), and a contiguous frame for the warp path. `moving` reuses a slot only once the
    encoder has read its frame."""

    def __init__(self, width: int, height: int) -> None:
        self.warped = FrameBuffer(width, height)
        self._flat: dict[int, U8] = {}

    def scratch(self, shape: tuple[int, ...]) -> U8:
        """A contiguous array of `shape`, backed by a buffer kept from frame to frame (no page faults)."""
        size = int(np.prod(shape))
        flat = self._flat.get(len(shape))
        if flat is None or flat.size < size:
            flat = self._flat[len(shape)] = page_buffer(size + size // 8)
        return flat[:size].reshape(shape)


class FrameMaker:
    """Makes the frames of a moving scene from one base picture."""

    def __init__(self, base: BasePicture) -> None:
        # x264 already keeps every core busy; OpenCV's own worker threads would only add contention and
        # spinning, so resizes run on the producer thread alone (about 10% less CPU per frame, measured).
        cv2.setNumThreads(1)
        self.base = base

    def render(self, cut: FrameCut, slot: FrameSlot) -> Nv12:
        """The frame `cut` describes, as plane views into `slot` (rows contiguous, planes possibly strided)."""
        base = self.base
        if not cut.fast:
            _warp(base, cut, slot.warped)
            return slot.warped.as_picture()
        scales = {"scale_x": cut.scale_x, "scale_y": cut.scale_y}
        height, width = slot.warped.y.shape
        y = _resize_cut(base.y, base.margin, **scales, cut_x=cut.luma_x, cut_y=cut.luma_y, slot=slot)
        uv = _resize_cut(base.uv, base.margin // 2, **scales, cut_x=cut.chroma_x, cut_y=cut.chroma_y, slot=slot)
        return Nv12(y[:height, :width], uv[: height // 2, : width // 2])


def _resize_cut(
    plane: U8, margin: int, *, scale_x: float, scale_y: float, cut_x: AxisCut, cut_y: AxisCut, slot: FrameSlot
) -> U8:
    """The resized region, from the cut's skip on (a view: its rows are contiguous, the plane is not)."""
    x0, y0 = cut_x.origin + margin, cut_y.origin + margin
    region = plane[y0 : y0 + cut_y.region, x0 : x0 + cut_x.region]
    fx, fy = 1.0 / scale_x, 1.0 / scale_y
    # The size OpenCV gives the result (it rounds to nearest, as Python's round does): resize into it directly.
    target = slot.scratch((round(region.shape[0] * fy), round(region.shape[1] * fx), *plane.shape[2:]))
    resized = cv2.resize(region, None, dst=target, fx=fx, fy=fy, interpolation=cv2.INTER_LINEAR)
    return np.asarray(resized, dtype=np.uint8)[cut_y.skip :, cut_x.skip :]


def render_frame(base: BasePicture, cut: FrameCut, out: FrameBuffer) -> None:
    """One frame copied into a contiguous buffer (tests and one-offs)."""
    picture = FrameMaker(base).render(cut, FrameSlot(out.y.shape[1], out.y.shape[0]))
    out.y[...] = picture.y
    out.uv[...] = picture.uv


def _warp(base: BasePicture, cut: FrameCut, out: FrameBuffer) -> None:
    """The exact (slower) path: an affine warp with the cut's true offsets."""
    luma = np.array(
        [[cut.scale_x, 0.0, cut.luma_offset[0] + base.margin], [0.0, cut.scale_y, cut.luma_offset[1] + base.margin]]
    )
    half = base.margin // 2
    chroma = np.array(
        [[cut.scale_x, 0.0, cut.chroma_offset[0] + half], [0.0, cut.scale_y, cut.chroma_offset[1] + half]]
    )
    height, width = out.y.shape
    cv2.warpAffine(base.y, luma, (width, height), dst=out.y, flags=WARP_FLAGS, borderMode=cv2.BORDER_REPLICATE)
    cv2.warpAffine(
        base.uv, chroma, (width // 2, height // 2), dst=out.uv, flags=WARP_FLAGS, borderMode=cv2.BORDER_REPLICATE
    )
