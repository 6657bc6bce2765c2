"""Find the scenes in a folder, by the two conventions users already have.

1. The older library's layout: `images/<name>.png` with `audio/<name>.mp3` and an optional
   `audio/<name>.srt` (or `subtitles/<name>.srt`).
2. "Same stem" files side by side: `scene_1.png`, `scene_1.mp3`, `scene_1.srt`.

Any allowed extension counts for each role (the content is checked later, by sniffing, not by the name).
Scenes come out in natural order (`scene_2` before `scene_10`), which is the order of the story. Anything
ambiguous or incomplete is a problem, never silently dropped: a narration without its picture is a missing
scene, not noise.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cloudburst.models.job import SCENE_NAME_PATTERN

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")
AUDIO_EXTENSIONS = (".mp3", ".wav", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac")
SUBTITLE_EXTENSIONS = (".srt", ".vtt")

_SCENE_NAME = re.compile(SCENE_NAME_PATTERN)


@dataclass(frozen=True)
class FoundScene:
    name: str
    image: Path
    audio: Path
    subtitles: Path | None = None


@dataclass
class FolderScan:
    folder: Path
    scenes: list[FoundScene] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    ambiguous: set[str] = field(default_factory=set)  # stems already reported for having several files


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders embedded numbers by value: scene_2 < scene_10."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower()) for part in re.split(r"(\d+)", text) if part)


def scan_folder(folder: Path) -> FolderScan:
    """The scenes in `folder` and, separately, every problem found while pairing its files."""
    scan = FolderScan(folder=folder)
    if not folder.is_dir():
        scan.problems.append(f"{folder}: not a folder")
        return scan
    if (folder / "images").is_dir():
        image_dir, audio_dirs = folder / "images", [folder / "audio"]
        subtitle_dirs = [folder / "audio", folder / "subtitles"]
    else:
        image_dir, audio_dirs, subtitle_dirs = folder, [folder], [folder]
    images = _by_stem(scan, [image_dir], IMAGE_EXTENSIONS, "images")
    audio = _by_stem(scan, audio_dirs, AUDIO_EXTENSIONS, "audio files")
    subtitles = _by_stem(scan, subtitle_dirs, SUBTITLE_EXTENSIONS, "subtitle files")

    for stem in sorted(images, key=natural_key):
        image = images[stem]
        if stem in scan.ambiguous:
            continue
        if stem not in audio:
            wanted = _relative(folder, audio_dirs[0] / f"{stem}.mp3")
            scan.problems.append(
                f"{_relative(folder, image)}: no narration for this image (expected {wanted} or another audio type)"
            )
            continue
        if not _SCENE_NAME.match(stem):
            scan.problems.append(
                f"{_relative(folder, image)}: {stem!r} cannot name a scene "
                "(use 1-100 letters, digits, '.', '_' or '-'; rename the files)"
            )
            continue
        scan.scenes.append(FoundScene(name=stem, image=image, audio=audio[stem], subtitles=subtitles.get(stem)))
    for stem in sorted(set(audio) - set(images) - scan.ambiguous, key=natural_key):
        wanted = _relative(folder, image_dir / f"{stem}.png")
        scan.problems.append(f"{_relative(folder, audio[stem])}: no image for this narration (expected {wanted})")
    for stem in sorted(set(subtitles) - set(images) - scan.ambiguous, key=natural_key):
        scan.problems.append(f"{_relative(folder, subtitles[stem])}: no scene named {stem!r} for these subtitles")
    if not scan.scenes and not scan.problems:
        scan.problems.append(
            f"{folder}: no scenes found; expected images/<name>.png with audio/<name>.mp3, "
            "or <name>.png next to <name>.mp3"
        )
    return scan


def _by_stem(scan: FolderScan, folders: list[Path], extensions: tuple[str, ...], what: str) -> dict[str, Path]:
    found: dict[str, list[Path]] = defaultdict(list)
    for directory in folders:
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            if path.name.startswith(".") or not path.is_file() or path.suffix.lower() not in extensions:
                continue
            found[path.stem].append(path)
    unique: dict[str, Path] = {}
    for stem, paths in found.items():
        if len(paths) > 1:
            names = ", ".join(sorted(_relative(scan.folder, p) for p in paths))
            scan.problems.append(f"scene {stem!r} has {len(paths)} {what} ({names}); keep one")
            scan.ambiguous.add(stem)
            continue
        unique[stem] = paths[0]
    return unique


def _relative(folder: Path, path: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)
