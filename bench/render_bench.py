"""Renderer benchmark: speed against the naive recipe and against the encoder's own limit, and quality.

One run renders the same inputs (a 30 s, 1080p30 scene: a deterministic photo-like image, synthesized speech,
subtitles in English and Chinese) in these ways and prints realtime factors (audio seconds / wall seconds),
ratios, CPU seconds and output sizes:

* **ours** at its defaults (x264 `veryfast`, CRF 23) with `zoom_in` and subtitles, through `render_scene`;
* the **naive recipe** found all over the web, `-loop 1 -i img -vf "scale=8000:-1,zoompan=z='min(zoom+0.0015,
  1.5)':d=<frames>:fps=30:s=1920x1080"` with x264 `medium` and AAC;
* **ours at `medium`**;
* the **encode-only limit** at each preset: our own frames (zoom and subtitles included), pre-decoded to a raw
  NV12 file (in /dev/shm when it exists), encoded by ffmpeg/x264 with exactly the same settings and no
  filters, no audio. Nothing that makes frames can be faster than this.
* a **still** scene (no motion, same subtitles), which uses the held-frame path.

Quality: SSIM of our default output against a lossless encode (x264 CRF 0) of the same frames, so speed never
comes from visible loss. Decoded, that lossless encode gives back exactly our frames, which is what the
encode-only runs read.

Targets on 2 vCPU (exit status 1 if one is missed): ours >= 3x faster than the naive recipe with SSIM >= 0.98;
ours >= 0.90 of the encode-only limit at the default preset and at `medium`; the still scene >= 20x realtime.
The machine should be otherwise idle: the figures are ratios within one run, but a busy neighbour skews
them. The ours/limit pairs therefore run several times (`--repeat`, default 7, and `--repeat-medium`, default
9), alternating which of the two goes first, and the ratio reported is the median of the per-pair ratios.
Each pair's ratio and the CPU share (limit / ours) are printed too: on a shared host x264's own CPU time for
the same frames moves by several percent from one run to the next, which a single pair cannot tell from a
real difference.

`--speed-model PATH` also writes the planner's speed model (`cloudburst.core.speed_model`) calibrated with the
measured default realtime factor, e.g. over `src/cloudburst/core/data/speed_model.json`.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
from PIL import Image

from cloudburst.core.speed_model import bundled_speed_model, calibrate
from cloudburst.models.render_options import Effect, Preset, QualityOptions, RenderOptions
from cloudburst.renderer.media.api import SceneInputs
from cloudburst.renderer.media.binaries import ffmpeg, ffmpeg_version
from cloudburst.renderer.media.cpus import container_cpus
from cloudburst.renderer.media.encoder import x264_args
from cloudburst.renderer.media.libx264 import encoder_name
from cloudburst.renderer.media.render import render_scene
from cloudburst.renderer.media.resample import resampler

T = TypeVar("T")
WIDTH, HEIGHT, FPS = 1920, 1080, 30
TARGET_NAIVE_SPEEDUP = 3.0
TARGET_SSIM = 0.98
TARGET_LIMIT_SHARE = 0.90
TARGET_STILL_RT = 20.0
REFERENCE_CRF = 0  # lossless

NARRATION = (
    "Long ago, in a valley between two rivers, there was a small village of farmers and weavers. "
    "Every spring the people planted rice on the terraces, and every autumn they carried the harvest "
    "down to the market by the bridge. One year the rain did not come. The wells grew shallow, and the "
    "old miller climbed the hill to look for the spring his grandmother had told him about. "
    "He walked for three days, sleeping under pine trees and drinking dew from the leaves."
)
CUES = [
    "Long ago, in a valley between two rivers,",
    "很久以前，在两条河之间的山谷里，有一个小村庄。",
    "there was a small village of farmers and weavers.",
    "每年春天，人们在梯田上种下稻谷。",
    "Every autumn they carried the harvest down to the market.",
    "有一年，雨一直没有来，井水越来越浅。",
    "The old miller climbed the hill to look for the spring.",
    "他走了三天，睡在松树下，喝树叶上的露水。",
    "He walked for three days, sleeping under pine trees.",
    "终于，他找到了那眼泉水。",
]


@dataclass(frozen=True)
class Measured:
    wall_s: float
    cpu_s: float
    size_bytes: int

    def realtime(self, seconds: float) -> float:
        return seconds / self.wall_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="scene length (default 30)")
    parser.add_argument("--repeat", type=int, default=7, help="ours/limit pairs at veryfast (median ratio is used)")
    parser.add_argument("--repeat-medium", type=int, default=9, help="ours/limit pairs at medium")
    parser.add_argument("--skip-medium", action="store_true", help="skip the two `medium` runs (the slow half)")
    parser.add_argument("--keep", type=Path, help="keep inputs and outputs in this directory")
    parser.add_argument("--speed-model", type=Path, help="write the calibrated speed model JSON here")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="render-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    raw_dir = Path("/dev/shm") if Path("/dev/shm").is_dir() else work
    raw = raw_dir / f"render-bench-{os.getpid()}.nv12"
    try:
        return _run(args, work, raw)
    finally:
        raw.unlink(missing_ok=True)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, work: Path, raw: Path) -> int:
    seconds: float = args.seconds
    frames = round(seconds * FPS)
    cpus = container_cpus()
    print(f"{ffmpeg_version()}; {cpus} CPUs; {WIDTH}x{HEIGHT}@{FPS}, {seconds:g} s, {frames} frames")
    print(f"frames resized by {resampler()}; moving scenes encoded by {encoder_name()}")
    inputs = _make_inputs(work, seconds)
    zoom = RenderOptions(effect=Effect.ZOOM_IN)
    medium = zoom.model_copy(update={"quality": QualityOptions(preset=Preset.MEDIUM)})
    reference_options = zoom.model_copy(update={"quality": QualityOptions(preset=Preset.ULTRAFAST, crf=REFERENCE_CRF)})

    print("reference: lossless encode of our frames, decoded to raw NV12 for the encode-only runs")
    reference = _render(inputs, reference_options, work / "reference")
    _run_ffmpeg(["-i", str(reference[1]), "-map", "0:v", "-f", "rawvideo", "-pix_fmt", "nv12", "-y", str(raw)])

    fast_pairs = _pairs(
        args.repeat,
        "veryfast",
        lambda: _encode_only(raw, QualityOptions(), cpus, work / "limit.mp4"),
        lambda: _render(inputs, zoom, work / "ours")[0],
    )
    default_output = work / "ours" / "output.mp4"
    medium_pairs: list[tuple[Measured, Measured]] = []
    if not args.skip_medium:
        medium_pairs = _pairs(
            args.repeat_medium,
            "medium",
            lambda: _encode_only(raw, medium.quality, cpus, work / "limit-medium.mp4"),
            lambda: _render(inputs, medium, work / "ours-medium")[0],
        )
    ours = [pair[1] for pair in fast_pairs]
    limit = [pair[0] for pair in fast_pairs]
    ours_medium = [pair[1] for pair in medium_pairs]
    limit_medium = [pair[0] for pair in medium_pairs]

    print("naive recipe (zoompan on an 8000-px upscale, x264 medium)")
    naive = _naive(inputs, frames, work / "naive.mp4")
    print("still scene (no motion, same subtitles)")
    still = min((_render(inputs, RenderOptions(), work / "still")[0] for _ in range(3)), key=lambda m: m.wall_s)
    ssim = _ssim(default_output, reference[1])

    ours_m, limit_m = _median(ours), _median(limit)
    rows = [
        ("ours, veryfast (zoom + subtitles)", ours_m),
        ("encode-only limit, veryfast", limit_m),
        ("naive recipe, medium", naive),
        ("still scene, veryfast", still),
    ]
    if ours_medium:
        rows[2:2] = [("ours, medium", _median(ours_medium)), ("encode-only limit, medium", _median(limit_medium))]
    print()
    print(f"{'pipeline':<36} {'realtime':>9} {'wall s':>8} {'CPU s':>8} {'size MB':>8}")
    for name, measured in rows:
        print(
            f"{name:<36} {measured.realtime(seconds):>8.2f}x {measured.wall_s:>8.2f} {measured.cpu_s:>8.2f} "
            f"{measured.size_bytes / 1e6:>8.2f}"
        )
    speedup = naive.wall_s / ours_m.wall_s
    share = _pair_ratio(fast_pairs)
    checks = [
        (f"ours / naive speed: {speedup:.2f}x (target >= {TARGET_NAIVE_SPEEDUP:g}x)", speedup >= TARGET_NAIVE_SPEEDUP),
        (f"SSIM of ours vs lossless: {ssim:.4f} (target >= {TARGET_SSIM})", ssim >= TARGET_SSIM),
        (f"ours / encode-only, veryfast: {share:.3f} (target >= {TARGET_LIMIT_SHARE})", share >= TARGET_LIMIT_SHARE),
    ]
    if ours_medium:
        share_medium = _pair_ratio(medium_pairs)
        checks.append(
            (
                f"ours / encode-only, medium: {share_medium:.3f} (target >= {TARGET_LIMIT_SHARE})",
                share_medium >= TARGET_LIMIT_SHARE,
            )
        )
    still_rt = still.realtime(seconds)
    checks.append(
        (f"still scene: {still_rt:.1f}x realtime (target >= {TARGET_STILL_RT:g}x)", still_rt >= TARGET_STILL_RT)
    )
    for label, pairs in (("veryfast", fast_pairs), ("medium", medium_pairs)):
        if pairs:
            print(_pairs_summary(label, pairs))
    print()
    for text, passed in checks:
        print(f"[{'ok' if passed else 'MISSED'}] {text}")
    if args.speed_model is not None:
        _write_speed_model(args.speed_model, ours_m.realtime(seconds), cpus)
    return 0 if all(passed for _, passed in checks) else 1


def _pairs(
    rounds: int, label: str, limit: Callable[[], Measured], ours: Callable[[], Measured]
) -> list[tuple[Measured, Measured]]:
    """(limit, ours) measured `rounds` times, alternating which runs first so drift affects both alike."""
    pairs = []
    for index in range(rounds):
        print(f"{label} {index + 1}/{rounds}: encode-only limit and ours")
        if index % 2 == 0:
            first = limit()
            pairs.append((first, ours()))
        else:
            second = ours()
            pairs.append((limit(), second))
    return pairs


def _pair_ratio(pairs: list[tuple[Measured, Measured]]) -> float:
    """Median over the pairs of limit wall time / ours wall time (1.0 = as fast as the limit)."""
    return statistics.median(limit_run.wall_s / ours_run.wall_s for limit_run, ours_run in pairs)


def _pairs_summary(label: str, pairs: list[tuple[Measured, Measured]]) -> str:
    """The spread behind a median: each pair's wall ratio, and the median CPU share (limit / ours)."""
    cpu_share = statistics.median(limit_run.cpu_s / ours_run.cpu_s for limit_run, ours_run in pairs)
    walls = ", ".join(f"{limit_run.wall_s / ours_run.wall_s:.3f}" for limit_run, ours_run in pairs)
    return f"({label}: CPU seconds, limit / ours: {cpu_share:.3f}; per-pair wall ratios: {walls})"


def _render(inputs: SceneInputs, options: RenderOptions, workdir: Path) -> tuple[Measured, Path]:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    result, measured = _timed(lambda: render_scene(inputs, options, workdir))
    return Measured(measured.wall_s, measured.cpu_s, result.size_bytes), result.path


def _encode_only(raw: Path, quality: QualityOptions, threads: int, target: Path) -> Measured:
    args = [
        "-f", "rawvideo", "-pix_fmt", "nv12", "-s", f"{WIDTH}x{HEIGHT}", "-framerate", str(FPS), "-i", str(raw),
        *x264_args(quality, threads, input_pix_fmt="nv12"), "-f", "mp4", "-y", str(target),
    ]  # fmt: skip
    _, measured = _timed(lambda: _run_ffmpeg(args))
    return Measured(measured.wall_s, measured.cpu_s, target.stat().st_size)


def _naive(inputs: SceneInputs, frames: int, target: Path) -> Measured:
    zoompan = f"scale=8000:-1,zoompan=z='min(zoom+0.0015,1.5)':d={frames}:fps={FPS}:s={WIDTH}x{HEIGHT}"
    args = [
        "-loop", "1", "-i", str(inputs.image), "-i", str(inputs.audio),
        "-vf", zoompan, "-c:v", "libx264", "-preset", "medium", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-t", f"{frames / FPS:.3f}", "-y", str(target),
    ]  # fmt: skip
    _, measured = _timed(lambda: _run_ffmpeg(args))
    return Measured(measured.wall_s, measured.cpu_s, target.stat().st_size)


def _ssim(output: Path, reference: Path) -> float:
    result = subprocess.run(
        [ffmpeg(), "-hide_banner", "-nostats", "-i", str(output), "-i", str(reference), "-lavfi", "[0:v][1:v]ssim",
         "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    match = re.search(r"SSIM .*All:([0-9.]+)", result.stderr)
    if match is None:
        raise RuntimeError(f"no SSIM in ffmpeg's output: {result.stderr[-500:]}")
    return float(match.group(1))


def _timed(action: Callable[[], T]) -> tuple[T, Measured]:
    before_self = resource.getrusage(resource.RUSAGE_SELF)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    value = action()
    wall = time.perf_counter() - started
    after_self = resource.getrusage(resource.RUSAGE_SELF)
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(
        getattr(after, field) - getattr(before, field)
        for before, after in ((before_self, after_self), (before_children, after_children))
        for field in ("ru_utime", "ru_stime")
    )
    return value, Measured(wall, cpu, 0)


def _median(runs: list[Measured]) -> Measured:
    ordered = sorted(runs, key=lambda run: run.wall_s)
    middle = ordered[len(ordered) // 2]
    return Measured(statistics.median(run.wall_s for run in runs), middle.cpu_s, middle.size_bytes)


def _run_ffmpeg(args: list[str]) -> None:
    subprocess.run([ffmpeg(), "-hide_banner", "-nostats", "-loglevel", "error", *args], check=True)


def _write_speed_model(path: Path, realtime: float, cpus: int) -> None:
    model = calibrate(
        bundled_speed_model(),
        measured_realtime_factor=realtime,
        vcpu=cpus,
        source=f"make bench-render: 1080p30 zoom + subtitles, veryfast, on {cpus} vCPU ({ffmpeg_version()})",
        measured_at=datetime.date.today().isoformat(),
    )
    path.write_text(model.model_dump_json(indent=2) + "\n", encoding="utf-8")
    print(f"speed model written to {path}")


# --- inputs -------------------------------------------------------------------------------------------------


def _make_inputs(work: Path, seconds: float) -> SceneInputs:
    image = work / "photo.jpg"
    Image.fromarray(photo_like(2560, 1440, seed=7)).save(image, quality=92)
    audio = work / "narration.mp3"
    _make_narration(audio, seconds)
    subtitles = work / "subtitles.srt"
    subtitles.write_text(_srt(seconds), encoding="utf-8")
    return SceneInputs(image=image, audio=audio, subtitles=subtitles)


def photo_like(width: int, height: int, seed: int) -> np.ndarray:
    """A deterministic picture with the statistics of a landscape photo: sky gradient and clouds, textured
    hills, objects with sharp edges, branches, and sensor grain. Flat synthetic images would let x264 skip
    most of its work and make every pipeline look faster than it is on real photos."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    noise = np.zeros((height, width), np.float32)
    for octave in range(1, 9):
        grid = rng.standard_normal((max(2, height * 2**octave // 512), max(2, width * 2**octave // 512)))
        layer = cv2.resize(grid.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
        noise += np.asarray(layer, dtype=np.float32) / np.float32(2 ** (octave * 0.75))
    fraction = y / height
    sky = np.stack([90 + 120 * fraction + 12 * noise, 140 + 80 * fraction + 12 * noise, 225 - 60 * fraction], -1)
    ridge = (0.55 + 0.07 * np.sin(x / width * 7 + 1) + 0.03 * np.sin(x / width * 29)) * height
    ground_mask = (y > ridge + 6 * noise)[..., None]
    blades = cv2.resize(rng.standard_normal((height // 3, width)).astype(np.float32), (width, height))
    ground = np.stack([55 + 30 * noise + 8 * blades, 105 + 40 * noise + 10 * blades, 45 + 20 * noise], -1)
    picture = np.where(ground_mask, ground, sky)
    for index in range(60):
        cx, cy = int(rng.integers(0, width)), int(rng.integers(int(height * 0.45), height))
        radius = int(rng.integers(height // 80, height // 14))
        colour = rng.integers(20, 235, 3).tolist()
        if index % 3 == 0:
            cv2.circle(picture, (cx, cy), radius, colour, -1, lineType=cv2.LINE_AA)
        elif index % 3 == 1:
            cv2.rectangle(picture, (cx, cy), (cx + radius * 2, cy + radius), colour, -1, lineType=cv2.LINE_AA)
        else:
            for _ in range(6):
                end = (cx + int(rng.integers(-radius * 3, radius * 3)), cy - int(rng.integers(0, radius * 4)))
                cv2.line(picture, (cx, cy), end, (40, 30, 20), 2, lineType=cv2.LINE_AA)
    picture += rng.normal(0, 2.0, (height, width, 1)).astype(np.float32)  # sensor grain of a downscaled photo
    picture = cv2.GaussianBlur(picture, (0, 0), 0.7)
    return np.clip(picture, 0, 255).astype(np.uint8)


def _make_narration(target: Path, seconds: float) -> None:
    """Speech from flite (in Debian's ffmpeg), looped to length, as a 44.1 kHz stereo MP3 (what narrators
    upload); a speech-like synthetic signal when this ffmpeg has no flite."""
    text = NARRATION.replace("'", "").replace(":", " ")
    speech = f"flite=text='{text}':voice=slt,aloop=loop=-1:size=2e9,atrim=0:{seconds},apad=whole_dur={seconds}"
    try:
        _run_ffmpeg(["-f", "lavfi", "-i", speech, "-ar", "44100", "-ac", "2", "-b:a", "128k", "-y", str(target)])
    except subprocess.CalledProcessError:
        wav = target.with_suffix(".wav")
        _write_wav(wav, _speech_like(seconds))
        _run_ffmpeg(["-i", str(wav), "-ar", "44100", "-ac", "2", "-b:a", "128k", "-y", str(target)])
        wav.unlink()


def _speech_like(seconds: float, rate: int = 16000) -> np.ndarray:
    """Voiced syllables (a glottal pulse train through two moving formants) with pauses, as 16-bit PCM."""
    rng = np.random.default_rng(3)
    samples = int(seconds * rate)
    t = np.arange(samples) / rate
    pitch = 140 + 30 * np.sin(2 * math.pi * 0.3 * t)
    phase = np.cumsum(pitch / rate)
    source = (phase % 1.0 < 0.1).astype(np.float32) - 0.1
    spectrum = np.fft.rfft(source)
    freqs = np.fft.rfftfreq(samples, 1 / rate)
    envelope = np.exp(-(((freqs - 700) / 250) ** 2)) + 0.6 * np.exp(-(((freqs - 1800) / 400) ** 2))
    voiced = np.fft.irfft(spectrum * envelope, samples)
    syllables = (np.sin(2 * math.pi * 4 * t) > -0.2) * (rng.random(samples) > 0.0)
    pauses = np.sin(2 * math.pi * 0.25 * t) > -0.8
    signal = voiced * syllables * pauses + rng.normal(0, 0.002, samples)
    return np.asarray(np.clip(signal / np.abs(signal).max() * 20000, -32768, 32767).astype(np.int16))


def _write_wav(path: Path, pcm: np.ndarray, rate: int = 16000) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())


def _srt(seconds: float) -> str:
    """The cues spread evenly over the scene, 0.2 s apart (less in a short scene: a tenth of a cue's slot)."""
    blocks = []
    step = seconds / len(CUES)
    gap = min(0.2, step / 10)
    for index, text in enumerate(CUES):
        start, end = index * step + gap, (index + 1) * step - gap
        blocks.append(f"{index + 1}\n{_srt_time(start)} --> {_srt_time(end)}\n{text}\n")
    return "\n".join(blocks)


def _srt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d},{millis % 1000:03d}"


if __name__ == "__main__":
    sys.exit(main())
