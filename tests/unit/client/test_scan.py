"""Folder scanning: both conventions, natural order, and every unpaired or ambiguous file reported."""

from __future__ import annotations

from pathlib import Path

from cloudburst.client.scan import natural_key, scan_folder
from tests.unit.client.media_files import make_scene_folder, write_png, write_srt, write_wav


def test_images_layout_pairs_audio_and_optional_subtitles_in_story_order(tmp_path: Path) -> None:
    make_scene_folder(tmp_path, ["scene_10", "scene_2", "scene_1"])
    (tmp_path / "audio" / "scene_2.srt").unlink()
    scan = scan_folder(tmp_path)
    assert scan.problems == []
    assert [s.name for s in scan.scenes] == ["scene_1", "scene_2", "scene_10"]
    first, second, _ = scan.scenes
    assert first.image == tmp_path / "images" / "scene_1.png"
    assert first.audio == tmp_path / "audio" / "scene_1.wav"
    assert first.subtitles == tmp_path / "audio" / "scene_1.srt"
    assert second.subtitles is None


def test_same_stem_layout(tmp_path: Path) -> None:
    make_scene_folder(tmp_path, ["intro", "outro"], layout="flat")
    scan = scan_folder(tmp_path)
    assert scan.problems == []
    assert [(s.name, s.image.name, s.audio.name, s.subtitles and s.subtitles.name) for s in scan.scenes] == [
        ("intro", "intro.png", "intro.wav", "intro.srt"),
        ("outro", "outro.png", "outro.wav", "outro.srt"),
    ]


def test_subtitles_folder_and_other_extensions_are_found(tmp_path: Path) -> None:
    write_png(tmp_path / "images" / "a.png").rename(tmp_path / "images" / "a.JPG")
    write_wav(tmp_path / "audio" / "a.wav").rename(tmp_path / "audio" / "a.mp3")
    write_srt(tmp_path / "subtitles" / "a.vtt", "WEBVTT\n")
    (scene,) = scan_folder(tmp_path).scenes
    assert (scene.image.name, scene.audio.name, scene.subtitles and scene.subtitles.name) == ("a.JPG", "a.mp3", "a.vtt")


def test_unpaired_and_ambiguous_files_are_problems_not_dropped(tmp_path: Path) -> None:
    make_scene_folder(tmp_path, ["ok"])
    write_png(tmp_path / "images" / "lonely.png")
    write_wav(tmp_path / "audio" / "orphan.wav")
    write_srt(tmp_path / "audio" / "ghost.srt")
    write_wav(tmp_path / "audio" / "ok.mp3")
    write_png(tmp_path / "images" / "bad name.png")
    write_wav(tmp_path / "audio" / "bad name.wav")
    scan = scan_folder(tmp_path)
    assert scan.scenes == []  # 'ok' has two audio files, so it is not a scene until one is removed
    assert scan.problems == [
        "scene 'ok' has 2 audio files (audio/ok.mp3, audio/ok.wav); keep one",
        "images/bad name.png: 'bad name' cannot name a scene (use 1-100 letters, digits, '.', '_' or '-'; "
        "rename the files)",
        "images/lonely.png: no narration for this image (expected audio/lonely.mp3 or another audio type)",
        "audio/orphan.wav: no image for this narration (expected images/orphan.png)",
        "audio/ghost.srt: no scene named 'ghost' for these subtitles",
    ]


def test_empty_and_missing_folders(tmp_path: Path) -> None:
    assert (
        scan_folder(tmp_path)
        .problems[0]
        .endswith("no scenes found; expected images/<name>.png with audio/<name>.mp3, or <name>.png next to <name>.mp3")
    )
    assert scan_folder(tmp_path / "nope").problems == [f"{tmp_path / 'nope'}: not a folder"]


def test_hidden_and_unrelated_files_are_ignored(tmp_path: Path) -> None:
    make_scene_folder(tmp_path, ["a"], layout="flat")
    (tmp_path / "notes.txt").write_text("x")
    write_png(tmp_path / ".b.png")
    assert [s.name for s in scan_folder(tmp_path).scenes] == ["a"]
    assert scan_folder(tmp_path).problems == []


def test_natural_key_orders_numbers_by_value() -> None:
    assert sorted(["s10", "s9", "S1", "s1b"], key=natural_key) == ["S1", "s1b", "s9", "s10"]
