"""Regenerate the demo job's assets: pictures, narration, subtitles and job.json for `make demo`.

The committed assets were made by this script once; run it again only to change the story. It needs
espeak-ng (narration; `apt-get install espeak-ng`) and ffmpeg (MP3 encoding), plus numpy and Pillow from the
project's virtualenv:

    .venv/bin/python examples/story/make_assets.py

Everything is deterministic: the pictures are drawn from fixed random seeds, and the subtitle cues are timed
from the length of each synthesized sentence. Narration is mono MP3 at 32 kb/s, so the whole folder stays
small (well under a megabyte).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
LANDSCAPE = (1280, 720)
PORTRAIT = (720, 1280)
SENTENCE_GAP_S = 0.35
LEAD_IN_S = 0.25

Canvas = np.ndarray


@dataclass(frozen=True)
class Scene:
    name: str
    voice: str  # espeak-ng voice
    sentences: tuple[str, ...]
    captions: tuple[str, ...]  # one cue per sentence (may carry a translation on a second line)
    effect: str
    painter: Callable[[tuple[int, int], int], Image.Image]
    portrait: bool = False
    language: str = "en"


# -- pictures: a few layered shapes with soft light and film grain -------------------------------------------
def _sky(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Canvas:
    width, height = size
    mix = np.linspace(0.0, 1.0, height)[:, None, None]
    column = (1 - mix) * np.array(top, float) + mix * np.array(bottom, float)
    return np.repeat(column, width, axis=1)


def _glow(
    canvas: Canvas, centre: tuple[float, float], radius: float, colour: tuple[int, int, int], power: float
) -> None:
    height, width = canvas.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    distance = np.hypot(xs - centre[0], ys - centre[1]) / radius
    weight = np.clip(1 - distance, 0, 1)[..., None] ** power
    canvas[:] = canvas * (1 - weight) + np.array(colour, float) * weight


def _sea(canvas: Canvas, horizon: int, colour: tuple[int, int, int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    height, width = canvas.shape[:2]
    rows = np.arange(horizon, height)
    depth = ((rows - horizon) / max(1, height - horizon))[:, None, None]
    water = np.array(colour, float) * (0.75 + 0.45 * depth)
    phases = rng.uniform(0, 2 * math.pi, 3)
    xs = np.arange(width)[None, :]
    ripple = sum(np.sin(xs / (18 + 14 * k) + rows[:, None] / (3 + k) + phases[k]) * (6 - 2 * k) for k in range(3))[
        ..., None
    ]
    canvas[horizon:] = np.clip(water + ripple, 0, 255)


def _finish(canvas: Canvas, seed: int) -> Image.Image:
    grain = np.random.default_rng(seed).normal(0, 4, canvas.shape)
    image = Image.fromarray(np.clip(canvas + grain, 0, 255).astype(np.uint8))
    return image.filter(ImageFilter.GaussianBlur(0.6))


def _lighthouse(draw: ImageDraw.ImageDraw, base_x: int, base_y: int, height: int, light: bool) -> None:
    top_width, bottom_width = height * 0.12, height * 0.2
    draw.polygon(
        [
            (base_x - bottom_width / 2, base_y),
            (base_x + bottom_width / 2, base_y),
            (base_x + top_width / 2, base_y - height),
            (base_x - top_width / 2, base_y - height),
        ],
        fill=(236, 232, 222),
    )
    for band in range(3):
        y = base_y - height * (0.25 + band * 0.25)
        draw.rectangle([base_x - bottom_width / 2, y - height * 0.05, base_x + bottom_width / 2, y], fill=(178, 34, 44))
    lamp = (255, 236, 150) if light else (90, 90, 100)
    draw.rectangle([base_x - top_width / 2, base_y - height * 1.12, base_x + top_width / 2, base_y - height], fill=lamp)
    draw.polygon(
        [
            (base_x - top_width * 0.7, base_y - height * 1.12),
            (base_x + top_width * 0.7, base_y - height * 1.12),
            (base_x, base_y - height * 1.25),
        ],
        fill=(40, 40, 48),
    )


def _boat(draw: ImageDraw.ImageDraw, x: float, y: float, scale: float) -> None:
    draw.polygon(
        [(x - 40 * scale, y), (x + 40 * scale, y), (x + 25 * scale, y + 16 * scale), (x - 25 * scale, y + 16 * scale)],
        fill=(246, 243, 232),
    )
    draw.polygon([(x - 4 * scale, y), (x + 22 * scale, y), (x - 4 * scale, y - 38 * scale)], fill=(232, 228, 214))


def paint_dawn(size: tuple[int, int], seed: int) -> Image.Image:
    canvas = _sky(size, (52, 64, 120), (250, 172, 120))
    horizon = int(size[1] * 0.62)
    _glow(canvas, (size[0] * 0.7, horizon), size[0] * 0.35, (255, 214, 150), 1.6)
    _sea(canvas, horizon, (36, 70, 110), seed)
    image = _finish(canvas, seed)
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [(0, horizon + 30), (size[0] * 0.32, horizon - 10), (size[0] * 0.4, horizon + 40), (0, size[1])],
        fill=(34, 36, 40),
    )
    _lighthouse(draw, int(size[0] * 0.18), horizon + 8, int(size[1] * 0.42), light=True)
    _boat(draw, size[0] * 0.42, size[1] * 0.86, 0.8)
    return image


def paint_harbour(size: tuple[int, int], seed: int) -> Image.Image:
    canvas = _sky(size, (120, 170, 220), (220, 230, 238))
    horizon = int(size[1] * 0.55)
    _sea(canvas, horizon, (40, 96, 140), seed)
    image = _finish(canvas, seed)
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(seed)
    for index in range(7):
        left = index * size[0] / 7 + rng.uniform(-10, 10)
        roof = horizon - rng.uniform(60, 140)
        colour = tuple(int(c) for c in rng.integers(120, 230, 3))
        draw.rectangle([left, roof, left + size[0] / 8, horizon + 4], fill=colour)
        draw.polygon(
            [(left - 6, roof), (left + size[0] / 16, roof - 40), (left + size[0] / 8 + 6, roof)], fill=(140, 60, 50)
        )
    draw.rectangle([0, horizon + 4, size[0] * 0.55, horizon + 22], fill=(92, 74, 60))
    _boat(draw, size[0] * 0.7, size[1] * 0.75, 1.1)
    return image


def paint_night(size: tuple[int, int], seed: int) -> Image.Image:
    canvas = _sky(size, (8, 10, 34), (44, 52, 98))
    horizon = int(size[1] * 0.7)
    _glow(canvas, (size[0] * 0.68, size[1] * 0.2), size[0] * 0.22, (238, 240, 220), 2.2)
    _sea(canvas, horizon, (14, 24, 54), seed)
    image = _finish(canvas, seed)
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(seed)
    for _ in range(260):
        x, y = rng.uniform(0, size[0]), rng.uniform(0, horizon * 0.95)
        radius = rng.choice([0.8, 1.2, 1.8])
        shade = int(rng.uniform(170, 255))
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=(shade, shade, 235))
    draw.ellipse(
        [size[0] * 0.64, size[1] * 0.17, size[0] * 0.72, size[1] * 0.17 + size[0] * 0.08], fill=(246, 244, 226)
    )
    _boat(draw, size[0] * 0.45, horizon + size[1] * 0.08, 0.9)
    return image


def paint_far_shore(size: tuple[int, int], seed: int) -> Image.Image:
    canvas = _sky(size, (250, 190, 140), (255, 236, 200))
    horizon = int(size[1] * 0.5)
    _glow(canvas, (size[0] * 0.3, horizon), size[0] * 0.3, (255, 246, 210), 1.4)
    _sea(canvas, horizon, (60, 130, 150), seed)
    sand_top = int(size[1] * 0.72)
    width = canvas.shape[1]
    xs = np.arange(width)
    shore = (sand_top + 18 * np.sin(xs / 90.0)).astype(int)
    for x in range(width):
        canvas[shore[x] :, x] = np.array([232, 206, 160], float)
    image = _finish(canvas, seed)
    draw = ImageDraw.Draw(image)
    for palm_x in (size[0] * 0.82, size[0] * 0.9):
        draw.line([(palm_x, sand_top + 20), (palm_x - 20, sand_top - 180)], fill=(92, 64, 40), width=10)
        for angle in range(0, 360, 45):
            end = (
                palm_x - 20 + 90 * math.cos(math.radians(angle)),
                sand_top - 180 + 40 * math.sin(math.radians(angle)),
            )
            draw.line([(palm_x - 20, sand_top - 180), end], fill=(40, 110, 60), width=8)
    _boat(draw, size[0] * 0.4, shore[int(size[0] * 0.4)] + 10, 0.8)
    return image


def paint_girl(size: tuple[int, int], seed: int) -> Image.Image:
    image = paint_far_shore(size, seed)
    draw = ImageDraw.Draw(image)
    x, ground = size[0] * 0.55, size[1] * 0.9
    draw.ellipse([x - 18, ground - 190, x + 18, ground - 154], fill=(90, 60, 46))
    draw.polygon([(x, ground - 156), (x - 46, ground - 40), (x + 46, ground - 40)], fill=(214, 64, 90))
    draw.line([(x - 14, ground - 40), (x - 14, ground)], fill=(90, 60, 46), width=8)
    draw.line([(x + 14, ground - 40), (x + 14, ground)], fill=(90, 60, 46), width=8)
    _boat(draw, x + 60, ground - 110, 0.5)
    return image


def paint_map(size: tuple[int, int], seed: int) -> Image.Image:
    canvas = _sky(size, (226, 208, 168), (206, 184, 140))
    rng = np.random.default_rng(seed)
    image = _finish(canvas, seed)
    draw = ImageDraw.Draw(image)
    for _ in range(5):
        cx, cy = rng.uniform(0.1, 0.9) * size[0], rng.uniform(0.1, 0.9) * size[1]
        points = [
            (cx + math.cos(a) * rng.uniform(60, 150), cy + math.sin(a) * rng.uniform(40, 110))
            for a in np.linspace(0, 2 * math.pi, 14, endpoint=False)
        ]
        draw.polygon(points, fill=(150, 170, 110), outline=(110, 90, 60))
    for offset in range(0, size[0], 80):
        draw.line([(offset, 0), (offset, size[1])], fill=(180, 160, 120), width=1)
    for offset in range(0, size[1], 80):
        draw.line([(0, offset), (size[0], offset)], fill=(180, 160, 120), width=1)
    path = [
        (size[0] * 0.15, size[1] * 0.7),
        (size[0] * 0.4, size[1] * 0.55),
        (size[0] * 0.62, size[1] * 0.6),
        (size[0] * 0.85, size[1] * 0.35),
    ]
    draw.line(path, fill=(160, 40, 40), width=4)
    _lighthouse(draw, int(size[0] * 0.85), int(size[1] * 0.35), 110, light=True)
    return image


SCENES = (
    Scene(
        "01-dawn",
        "en-us",
        ("At dawn, the old lighthouse keeper folded a paper boat from yesterday's map.",),
        ("At dawn, the old lighthouse keeper\nfolded a paper boat from yesterday's map.",),
        "zoom_in",
        paint_dawn,
    ),
    Scene(
        "02-harbour",
        "en-us",
        ("He set it on the water.", "The tide carried it past the harbour and out to sea."),
        ("He set it on the water.", "The tide carried it past the harbour\nand out to sea."),
        "pan_right",
        paint_harbour,
    ),
    Scene(
        "03-night",
        "en-us",
        ("For three days it drifted under clouds, rain and stars.",),
        ("For three days it drifted\nunder clouds, rain and stars.",),
        "zoom_out",
        paint_night,
        portrait=True,
    ),
    Scene(
        "04-far-shore",
        "en-us",
        ("On the fourth morning, it reached a shore on the far side of the world.",),
        ("On the fourth morning, it reached a shore\non the far side of the world.",),
        "pan_left",
        paint_far_shore,
    ),
    Scene(
        "05-found",
        "cmn",
        ("一个小女孩在沙滩上捡到了这只纸船。",),
        ("一个小女孩在沙滩上捡到了这只纸船。\nA little girl found the paper boat on the beach.",),
        "ken_burns",
        paint_girl,
        language="zh",
    ),
    Scene(
        "06-wave",
        "cmn",
        ("她打开地图，看到了灯塔。", "于是她向大海挥了挥手。"),
        (
            "她打开地图，看到了灯塔。\nShe unfolded the map and saw the lighthouse.",
            "于是她向大海挥了挥手。\nSo she waved to the sea.",
        ),
        "zoom_in",
        paint_map,
        language="zh",
    ),
)


# -- narration and subtitles -----------------------------------------------------------------------------------
def _speak(text: str, voice: str, path: Path) -> float:
    words_per_minute = "150" if voice.startswith("en") else "170"
    subprocess.run([_tool("espeak-ng"), "-v", voice, "-s", words_per_minute, "-w", str(path), text], check=True)
    with wave.open(str(path)) as clip:
        seconds: float = clip.getnframes() / clip.getframerate()
    return seconds


def _concatenate(parts: list[Path], gaps_s: list[float], target: Path) -> None:
    with wave.open(str(parts[0])) as first:
        params = first.getparams()
    with wave.open(str(target), "wb") as out:
        out.setparams(params)
        silence_frame = b"\0" * params.sampwidth * params.nchannels
        for part, gap in zip(parts, gaps_s, strict=True):
            out.writeframes(silence_frame * int(gap * params.framerate))
            with wave.open(str(part)) as clip:
                out.writeframes(clip.readframes(clip.getnframes()))
        out.writeframes(silence_frame * int(LEAD_IN_S * params.framerate))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"make_assets.py needs {name} on PATH")
    return path


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02}:{minutes:02}:{secs:02},{millis:03}"


def narrate(scene: Scene, audio: Path, subtitles: Path, work: Path) -> float:
    parts, cues, gaps, clock = [], [], [], 0.0
    for index, sentence in enumerate(scene.sentences):
        part = work / f"{scene.name}-{index}.wav"
        length = _speak(sentence, scene.voice, part)
        gap = LEAD_IN_S if index == 0 else SENTENCE_GAP_S
        clock += gap
        cues.append((clock, clock + length, scene.captions[index]))
        clock += length
        parts.append(part)
        gaps.append(gap)
    joined = work / f"{scene.name}.wav"
    _concatenate(parts, gaps, joined)
    encode = ["-ac", "1", "-ar", "22050", "-b:a", "32k"]
    subprocess.run([_tool("ffmpeg"), "-loglevel", "error", "-y", "-i", str(joined), *encode, str(audio)], check=True)
    lines = [
        f"{n}\n{_timestamp(start)} --> {_timestamp(end)}\n{text}\n" for n, (start, end, text) in enumerate(cues, 1)
    ]
    subtitles.write_text("\n".join(lines), encoding="utf-8")
    return clock + LEAD_IN_S


def job_document() -> dict[str, object]:
    scenes: list[dict[str, object]] = []
    for scene in SCENES:
        entry: dict[str, object] = {
            "name": scene.name,
            "image": f"images/{scene.name}.jpg",
            "audio": f"audio/{scene.name}.mp3",
            "subtitles": f"subtitles/{scene.name}.srt",
            "effect": scene.effect,
        }
        overrides: dict[str, object] = {}
        if scene.portrait:
            overrides.update({"width": 540, "height": 960})
        if scene.language != "en":
            overrides["subtitles"] = {"language": scene.language}
        if overrides:
            entry["render"] = overrides
        scenes.append(entry)
    return {
        "version": 1,
        "name": "story",
        "render": {
            "width": 960,
            "height": 540,
            "fps": 25,
            "strength": 0.2,
            "subtitles": {"language": "en", "box": True, "box_opacity": 0.45},
            "quality": {"preset": "veryfast", "crf": 24, "audio_bitrate_kbps": 64},
        },
        "batching": {"strategy": "count", "scenes_per_task": 3, "max_parallel_tasks": 2},
        "compute": {"profile": "standard"},
        "scenes": scenes,
    }


def main() -> None:
    _tool("espeak-ng")
    _tool("ffmpeg")
    for folder in ("images", "audio", "subtitles"):
        (HERE / folder).mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for seed, scene in enumerate(SCENES, start=11):
            size = PORTRAIT if scene.portrait else LANDSCAPE
            scene.painter(size, seed).save(HERE / "images" / f"{scene.name}.jpg", quality=82, optimize=True)
            length = narrate(
                scene, HERE / "audio" / f"{scene.name}.mp3", HERE / "subtitles" / f"{scene.name}.srt", Path(scratch)
            )
            print(f"{scene.name}: {length:.1f} s of narration")
    (HERE / "job.json").write_text(json.dumps(job_document(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
