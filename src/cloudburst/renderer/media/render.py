"""One scene to one MP4: `render_scene` (the real pipeline) and `render_stub` (the scale test's stand-in).

Order of work, and why:
1. Check every input before any encoding: formats sniffed from bytes, subtitles parsed (errors name the
   line), images decoded by Pillow with a pixel cap, audio decoded once to measure its exact length. Bad input
   is refused as `InputRejected` having cost almost nothing, and a margin that would push the subtitles or
   the watermark off the output frame as `OptionRejected` (see `fit`). While ffmpeg decodes the audio, the
   picture is composed and the subtitle raster starts (preparation, not encoding), so the check costs little
   wall time.
2. Video: a scene without motion has few distinct pictures, and `held` encodes just those and repeats them
   with skip frames (tens of times realtime). A moving scene is made frame by frame in NV12 and encoded by
   x264 (`moving`). Either way there is a single lossy video encode, and the ffmpeg that writes the MP4
   encodes the AAC alongside it.
Intermediate files live in a private scratch directory inside `workdir` that is always removed; the output
(`workdir/output.mp4`) is removed too when the render fails or is cancelled, so a failed render leaves the
work directory as it found it. Every ffmpeg started is stopped before this returns.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from cloudburst.core.subtitle_cues import Cue
from cloudburst.models.render_options import Effect, RenderOptions
from cloudburst.renderer.media import stub
from cloudburst.renderer.media.api import Limits, RenderCancelled, RenderResult, SceneInputs
from cloudburst.renderer.media.audio import measure_audio
from cloudburst.renderer.media.canvas import compose_canvas
from cloudburst.renderer.media.colour import Nv12, rgb_to_nv12
from cloudburst.renderer.media.cpus import container_cpus
from cloudburst.renderer.media.fit import check_fit
from cloudburst.renderer.media.frames import BasePicture, WireLayout, make_base
from cloudburst.renderer.media.held import Hold, PictureCoding, coding_plan, encode_held
from cloudburst.renderer.media.image import load_image
from cloudburst.renderer.media.inputs import SniffedScene, sniff_scene
from cloudburst.renderer.media.layout import output_size
from cloudburst.renderer.media.motion import View, is_static, plan_views, resolve_effect
from cloudburst.renderer.media.moving import encode_moving
from cloudburst.renderer.media.output import describe_output
from cloudburst.renderer.media.overlay import apply_all
from cloudburst.renderer.media.process import Cancel, Either
from cloudburst.renderer.media.sampling import CutStats, base_sizes, choose_base_scale, margin, plan_cut
from cloudburst.renderer.media.scene import SegmentOverlays, StartedSubtitles
from cloudburst.renderer.media.subtitles.plan import load_cues, no_subtitles
from cloudburst.renderer.media.watermark import watermark_overlay

OUTPUT_NAME = "output.mp4"
PROGRESS_PREPARED = 0.05
PROGRESS_ENCODED = 0.97

ProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class CheckedScene:
    """Inputs that passed every check (decoded where that was needed to check them), and the decisions that
    follow from them: output size, frame count, the concrete effect. The decoded image is not kept: once the
    picture is prepared it is only memory (up to 400 MB for a 100-megapixel RGBA image) held during the encode."""

    sniffed: SniffedScene
    watermark: Image.Image | None
    cues: list[Cue]
    duration_s: float
    width: int
    height: int
    frames: int
    effect: Effect  # concrete: `random` resolved, NONE when the motion would be nil (strength 0)
    seed: int


@dataclass(frozen=True)
class PreparedPicture:
    """The picture as the encoder will sample it: the still frame, or the base of a moving scene."""

    still: Nv12 | None = None
    base: BasePicture | None = None


@dataclass(frozen=True)
class RenderContext:
    """What every step of one render shares: its scratch directory, stop flag, progress callback and stats."""

    scratch: Path
    cancel: Cancel
    report: ProgressCallback
    stats: dict[str, float]


def render_scene(
    inputs: SceneInputs,
    options: RenderOptions,
    workdir: Path,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
) -> RenderResult:
    started = time.perf_counter()
    report = on_progress or (lambda _fraction: None)
    output = workdir / OUTPUT_NAME
    scratch = workdir / f".render-{uuid.uuid4().hex[:12]}"
    scratch.mkdir(parents=True)
    abort = threading.Event()
    stop = Either(cancel, abort)
    context = RenderContext(scratch, stop, report, {})
    try:
        scene, picture, subtitles = check_and_prepare(inputs, options, limits, stop, scratch=scratch)
        context.stats["check_s"] = time.perf_counter() - started
        try:
            overlays = _overlays(scene, options, subtitles)
            if picture.base is not None:
                _render_moving(scene, options, picture.base, overlays, context, output=output)
            else:
                assert picture.still is not None
                _render_still(scene, options, picture.still, overlays, context, output=output)
        finally:
            if subtitles is not None:
                subtitles.close()  # the rasteriser's ffmpeg, whether it drew every state or not
        _raise_if_cancelled(cancel)
        context.stats["frames"] = float(scene.frames)
        context.stats["render_s"] = time.perf_counter() - started
        report(1.0)
        return describe_output(output, options.fps, context.stats)
    except BaseException:
        abort.set()
        output.unlink(missing_ok=True)
        raise
    finally:
        abort.set()
        shutil.rmtree(scratch, ignore_errors=True)


def check_and_prepare(
    inputs: SceneInputs, options: RenderOptions, limits: Limits, cancel: Cancel, *, scratch: Path
) -> tuple[CheckedScene, PreparedPicture, StartedSubtitles | None]:
    """Every check of step 1, cheapest first (InputRejected names the input and the problem), with the
    picture composed and the subtitle raster started while ffmpeg decodes the audio. The caller closes the
    raster; it is closed here if a check fails."""
    sniffed = sniff_scene(inputs, limits)
    cues = load_cues(sniffed.subtitles, limits.max_subtitle_cues) if sniffed.subtitles else []
    abort = threading.Event()
    subtitles: StartedSubtitles | None = None
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="audio-check") as pool:
        measuring = pool.submit(
            measure_audio, sniffed.audio, max_seconds=limits.max_audio_seconds, cancel=Either(cancel, abort)
        )
        try:
            image = load_image(sniffed.image, limits.max_image_pixels)
            watermark = load_image(sniffed.watermark, limits.max_image_pixels) if sniffed.watermark else None
            width, height = output_size(options, *image.size)
            check_fit(
                options,
                width,
                height,
                has_subtitles=bool(cues),
                watermark_size=watermark.size if watermark is not None else None,
            )
            if cues:
                subtitles = StartedSubtitles(
                    cues, options.subtitles, width=width, height=height, fps=options.fps, scratch=scratch, cancel=cancel
                )
            seed = options.seed if options.seed is not None else derived_seed(inputs.image)
            effect = resolve_effect(options.effect, seed)
            if is_static(effect, options.strength):
                effect = Effect.NONE
            estimate = frame_count(sniffed.audio_seconds_estimate, options.fps)
            picture = _prepare_picture(
                image, options, effect=effect, seed=seed, size=(width, height), estimated_frames=estimate
            )
            duration = measuring.result()
        except BaseException:
            abort.set()
            if subtitles is not None:
                subtitles.close()
            raise
    frames = frame_count(duration, options.fps)
    scene = CheckedScene(sniffed, watermark, cues, duration, width, height, frames, effect, seed)
    return scene, picture, subtitles


def frame_count(duration_s: float, fps: int) -> int:
    """Frames for a video as long as the audio: the nearest whole frame, at least one."""
    return max(1, round(duration_s * fps))


def derived_seed(image: Path) -> int:
    """The default seed: from the image's bytes, so the same scene always moves the same way."""
    digest = hashlib.sha256()
    with image.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return int.from_bytes(digest.digest()[:4], "big")


def _views(effect: Effect, options: RenderOptions, seed: int, size: tuple[int, int], frames: int) -> list[View]:
    return plan_views(
        effect,
        strength=options.strength,
        easing=options.easing,
        seed=seed,
        width=size[0],
        height=size[1],
        frames=frames,
    )


def _prepare_picture(
    image: Image.Image,
    options: RenderOptions,
    *,
    effect: Effect,
    seed: int,
    size: tuple[int, int],
    estimated_frames: int,
) -> PreparedPicture:
    """The still frame, or the base picture at the scale the camera path needs. The base scale depends on the
    zoom range, not on the frame count, so the header's duration estimate is enough to choose it."""
    width, height = size
    if effect is Effect.NONE:
        canvas = compose_canvas(image, options.fit, options.background, width, height)
        return PreparedPicture(still=rgb_to_nv12(canvas))
    views = _views(effect, options, seed, size, min(estimated_frames, 3000))
    source_scale = min(image.width / width, image.height / height)
    scale = choose_base_scale(views, width, height, source_scale)
    base_width, base_height = base_sizes(width, height, scale)
    canvas = compose_canvas(image, options.fit, options.background, base_width, base_height)
    return PreparedPicture(base=make_base(canvas, margin(scale)))


def _overlays(scene: CheckedScene, options: RenderOptions, subtitles: StartedSubtitles | None) -> SegmentOverlays:
    width, height = scene.width, scene.height
    watermark = watermark_overlay(scene.watermark, options.watermark, width, height) if scene.watermark else None
    if subtitles is None:
        return SegmentOverlays(no_subtitles(scene.frames), watermark)
    return subtitles.overlays(scene.frames, watermark)


def _render_still(
    scene: CheckedScene,
    options: RenderOptions,
    still: Nv12,
    overlays: SegmentOverlays,
    context: RenderContext,
    *,
    output: Path,
) -> None:
    """The held-picture path: each distinct picture coded once, and the AAC encoded meanwhile by the ffmpeg
    that writes the MP4."""
    encoded_at = time.perf_counter()
    per_segment = overlays.per_segment()
    plan = coding_plan([Hold(index, segment.frames) for index, segment in enumerate(overlays.segments)], options.fps)

    def picture(source: int) -> Nv12:  # asked once per segment, in order
        _segment, layers = next(per_segment)
        return apply_all(still, layers) if layers else still

    def progress(index: int) -> None:
        context.report(PROGRESS_PREPARED + (PROGRESS_ENCODED - PROGRESS_PREPARED) * (index + 1) / len(plan))

    context.stats["pictures_encoded"] = float(len(plan))
    encode_held(
        plan,
        picture,
        PictureCoding(scene.width, scene.height, options.fps, options.quality, container_cpus()),
        audio=scene.sniffed.audio,
        scratch=context.scratch,
        target=output,
        cancel=context.cancel,
        on_picture=progress,
    )
    context.stats["video_s"] = time.perf_counter() - encoded_at


def _render_moving(
    scene: CheckedScene,
    options: RenderOptions,
    base: BasePicture,
    overlays: SegmentOverlays,
    context: RenderContext,
    *,
    output: Path,
) -> None:
    """Frames cut from the base picture, piped to the encoder, which also encodes the audio into `output`."""
    encoded_at = time.perf_counter()
    width, height = scene.width, scene.height
    views = _views(scene.effect, options, scene.seed, (width, height), scene.frames)
    cut_stats = CutStats()
    cuts = (cut_stats.add(plan_cut(view, width, height, base.width, base.height)) for view in views)
    min_scale = min(base.width / width, base.height / height) / max(view.zoom for view in views)
    step = max(1, scene.frames // 100)

    def progress(written: int) -> None:  # 0 once the encoder runs, then every 1% of the frames
        if written % step == 0 or written == scene.frames:
            context.report(PROGRESS_PREPARED + (PROGRESS_ENCODED - PROGRESS_PREPARED) * written / scene.frames)

    encode_moving(
        base,
        cuts,
        overlays.per_frame(),
        audio=scene.sniffed.audio,
        layout=WireLayout.for_scales(width, height, min_scale),
        fps=options.fps,
        quality=options.quality,
        threads=container_cpus(),
        target=output,
        cancel=context.cancel,
        on_frame=progress,
    )
    context.stats.update(cut_stats.summary())
    context.stats["video_s"] = time.perf_counter() - encoded_at


def _raise_if_cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise RenderCancelled("render cancelled")


def render_stub(
    inputs: SceneInputs,
    options: RenderOptions,
    workdir: Path,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
) -> RenderResult:
    """The scale test's stand-in (`CLOUDBURST_STUB_RENDER=1`): see `stub.render_stub`."""
    return stub.render_stub(inputs, options, workdir, on_progress=on_progress, cancel=cancel, limits=limits)
