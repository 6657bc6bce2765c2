"""Building jobs (folder, scene list, job file) and checking them locally, with problems that name the input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudburst.client.errors import InvalidJob
from cloudburst.client.job import Job, Scene, default_job_name
from cloudburst.models.render_options import RenderOptions
from tests.unit.client.media_files import make_scene_folder, write_png, write_wav


def test_folder_job_uses_relative_keys_and_the_folder_name(tmp_path: Path) -> None:
    folder = make_scene_folder(tmp_path / "My Story!", ["scene_1", "scene_2"])
    job = Job.from_folder(folder)
    assert job.name == "My-Story"
    assert job.document["scenes"][0] == {
        "name": "scene_1",
        "image": "images/scene_1.png",
        "audio": "audio/scene_1.wav",
        "subtitles": "audio/scene_1.srt",
    }
    assert job.local_files["audio/scene_2.wav"] == (folder / "audio" / "scene_2.wav").resolve()
    inspection = job.validate()
    assert inspection.audio_seconds == pytest.approx({"scene_1": 1.0, "scene_2": 2.0})
    assert inspection.input_bytes == sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_options_merge_over_each_other_and_models_only_set_what_was_given(tmp_path: Path) -> None:
    folder = make_scene_folder(tmp_path, ["a"])
    job = Job.from_folder(folder, render={"subtitles": {"language": "zh", "box": True}}, compute={"profile": "high"})
    job = job.with_options(render=RenderOptions.model_validate({"effect": "zoom_in"}))
    job = job.with_options(render={"subtitles": {"box": False}}, batching={"max_parallel_tasks": 3})
    spec = job.spec()
    assert (spec.render.effect, spec.render.subtitles.language, spec.render.subtitles.box) == ("zoom_in", "zh", False)
    assert (spec.compute.profile, spec.batching.max_parallel_tasks) == ("high", 3)


def test_scene_list_with_files_outside_the_base_folder(tmp_path: Path) -> None:
    inside = write_png(tmp_path / "base" / "pics" / "a.png")
    outside = write_wav(tmp_path / "elsewhere" / "a.wav")
    mark = write_png(tmp_path / "elsewhere" / "mark.png")
    job = Job.from_scenes(
        [Scene("a", image=inside, audio=outside), {"name": "b", "image": "pics/a.png", "audio": str(outside)}],
        base_dir=tmp_path / "base",
        watermark=mark,
        name="two",
    )
    scenes = job.document["scenes"]
    assert scenes[0]["image"] == scenes[1]["image"] == "pics/a.png"  # one file, one key
    assert scenes[0]["audio"] == scenes[1]["audio"] == "external/1/a.wav"
    assert job.document["watermark"] == "external/2/mark.png"
    assert job.validate().ok
    assert len(job.local_files) == 3


def test_s3_inputs_are_kept_and_not_checked_locally(tmp_path: Path) -> None:
    audio = write_wav(tmp_path / "a.wav")
    job = Job.from_scenes([Scene("a", image="s3://bucket/in/a.png", audio=audio)], base_dir=tmp_path)
    assert job.document["scenes"][0]["image"] == "s3://bucket/in/a.png"
    assert job.validate().ok
    spec = job.resolve({"a.wav": "s3://bucket/inputs/sha256/00/a.wav"})
    assert (spec.scenes[0].image, spec.scenes[0].audio) == (
        "s3://bucket/in/a.png",
        "s3://bucket/inputs/sha256/00/a.wav",
    )


def test_resolve_refuses_a_job_with_inputs_not_uploaded(tmp_path: Path) -> None:
    job = Job.from_folder(make_scene_folder(tmp_path, ["a"], subtitles=False))
    with pytest.raises(InvalidJob, match=r"audio/a.wav: not uploaded"):
        job.resolve({"images/a.png": "s3://b/x.png"})


def test_every_problem_is_reported_with_scene_and_input(tmp_path: Path) -> None:
    folder = make_scene_folder(tmp_path, ["good", "bad_audio", "bad_image", "gone"])
    (folder / "audio" / "bad_audio.wav").write_bytes(b"#EXTM3U\nhttp://x/y.ts\n")
    (folder / "images" / "bad_image.png").write_bytes(b"GIF89a....")
    (folder / "audio" / "gone.srt").write_text("not subtitles at all")
    job = Job.from_folder(folder, batching={"max_parallel_tasks": 0})
    problems = job.inspect().problems
    assert problems[0].startswith("batching.max_parallel_tasks: Input should be greater than or equal to 1")
    expected = [
        f"scenes[0] (bad_audio).audio: {(folder / 'audio/bad_audio.wav').resolve()}: expected MP3, WAV",
        f"scenes[1] (bad_image).image: {(folder / 'images/bad_image.png').resolve()}: expected a PNG, JPEG or WebP "
        "image, got a GIF image",
        f"scenes[2] (gone).subtitles: {(folder / 'audio/gone.srt').resolve()}: expected SRT or WebVTT subtitles",
    ]
    for prefix in expected:
        assert any(problem.startswith(prefix) for problem in problems), (prefix, problems)
    assert len(problems) == 4
    with pytest.raises(InvalidJob) as caught:
        job.validate()
    assert caught.value.problems == problems
    assert "4 problems" in caught.value.message


def test_truncated_audio_and_empty_files_are_refused(tmp_path: Path) -> None:
    image = write_png(tmp_path / "a.png")
    audio = write_wav(tmp_path / "a.wav")
    audio.write_bytes(audio.read_bytes()[:30])
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    job = Job.from_scenes([Scene("a", image, audio), Scene("b", empty, tmp_path / "missing.wav")], base_dir=tmp_path)
    problems = job.inspect().problems
    assert any(p.startswith("scenes[0] (a).audio:") and "wav" in p.lower() for p in problems), problems
    assert f"scenes[1] (b).image: {empty}: the file is empty" in problems
    assert f"scenes[1] (b).audio: {tmp_path / 'missing.wav'}: no such file" in problems


def test_scan_problems_come_first_and_block_spec(tmp_path: Path) -> None:
    folder = make_scene_folder(tmp_path, ["a"])
    write_png(folder / "images" / "b.png")
    job = Job.from_folder(folder)
    assert job.inspect().problems == [
        "images/b.png: no narration for this image (expected audio/b.mp3 or another audio type)"
    ]
    with pytest.raises(InvalidJob, match="no narration"):
        job.spec()


def test_job_file_with_scenes_resolves_against_its_folder(tmp_path: Path) -> None:
    make_scene_folder(tmp_path, ["a"], layout="flat")
    job_file = tmp_path / "job.json"
    job_file.write_text(
        json.dumps(
            {"name": "filed", "scenes": [{"name": "a", "image": "a.png", "audio": "a.wav"}], "render": {"fps": 24}}
        )
    )
    job = Job.load(tmp_path)
    assert (job.name, job.spec().render.fps) == ("filed", 24)
    assert job.local_files == {"a.png": tmp_path / "a.png", "a.wav": tmp_path / "a.wav"}
    assert job.validate().ok


def test_job_file_without_scenes_takes_the_folders_scenes_and_its_options(tmp_path: Path) -> None:
    make_scene_folder(tmp_path / "story", ["s1", "s2"])
    (tmp_path / "story" / "job.json").write_text(json.dumps({"batching": {"max_parallel_tasks": 2}}))
    job = Job.load(tmp_path / "story", compute={"profile": "economy"})
    spec = job.spec()
    assert [s.name for s in spec.scenes] == ["s1", "s2"]
    assert (spec.name, spec.batching.max_parallel_tasks, spec.compute.profile) == ("story", 2, "economy")


def test_job_file_that_climbs_out_is_refused_without_reading_outside(tmp_path: Path) -> None:
    (tmp_path / "job.json").write_text(json.dumps({"scenes": [{"name": "a", "image": "../x.png", "audio": "a.wav"}]}))
    job = Job.from_file(tmp_path / "job.json")
    assert "../x.png" not in job.local_files
    assert any(p.startswith(f"{tmp_path / 'job.json'}: scenes[0].image: '../x.png'") for p in job.inspect().problems)


@pytest.mark.parametrize(
    ("content", "expected"),
    [("{not json", "not a readable JSON job"), ("[1, 2]", "a job is a JSON object, not list")],
)
def test_unreadable_job_files(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "job.json").write_text(content)
    with pytest.raises(InvalidJob, match=expected):
        Job.load(tmp_path / "job.json")


def test_load_of_a_missing_path_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(InvalidJob) as caught:
        Job.load(tmp_path / "nowhere")
    assert caught.value.problems == [f"{tmp_path / 'nowhere'}: no such job file or folder"]
    assert "folder of scenes" in caught.value.hint


def test_unknown_option_sections_are_a_type_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="unknown job option"):
        Job.load(make_scene_folder(tmp_path, ["a"]), rendering={"fps": 1})


def test_default_job_name(tmp_path: Path) -> None:
    assert default_job_name(tmp_path / "a b") == "a-b"
    assert default_job_name(tmp_path / "日本") is None


def test_a_misspelt_field_in_a_job_file_names_the_file_and_the_field_meant(tmp_path: Path) -> None:
    folder = make_scene_folder(tmp_path / "story", ["s1"])
    job_file = folder / "job.json"
    job_file.write_text(json.dumps({"render": {"efect": "zoom_in", "subtitles": {"langauge": "en"}}}))
    assert sorted(Job.load(folder).inspect().problems) == [
        f"{job_file}: render.efect: unknown field; did you mean 'effect'?",
        f"{job_file}: render.subtitles.langauge: unknown field; did you mean 'language'?",
    ]


def test_a_problem_with_a_value_given_from_elsewhere_does_not_blame_the_file(tmp_path: Path) -> None:
    folder = make_scene_folder(tmp_path / "story", ["s1"])
    job_file = folder / "job.json"
    job_file.write_text(json.dumps({"render": {"fps": 0, "efect": "zoom_in"}}))
    problems = Job.load(folder, render={"efect": "pan_left", "strenght": 1}).inspect().problems
    assert sorted(problems) == [
        f"{job_file}: render.fps: Input should be greater than or equal to 1",
        "render.efect: unknown field; did you mean 'effect'?",  # the file's value was replaced
        "render.strenght: unknown field; did you mean 'strength'?",
    ]


def test_an_empty_folder_is_one_problem_not_two(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    problems = Job.load(tmp_path / "empty").inspect().problems
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'empty'}: no scenes found")
    with pytest.raises(InvalidJob) as caught:
        Job.load(tmp_path / "empty").spec()
    assert caught.value.problems == problems


def test_an_empty_scene_list_in_a_job_file_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "job.json").write_text(json.dumps({"scenes": []}))
    problems = Job.from_file(tmp_path / "job.json").inspect().problems
    assert problems == [f"{tmp_path / 'job.json'}: scenes: List should have at least 1 item after validation, not 0"]


def test_a_language_name_is_refused_with_the_code_meant(tmp_path: Path) -> None:
    job = Job.from_folder(make_scene_folder(tmp_path / "story", ["s1"]), render={"subtitles": {"language": "chinese"}})
    assert job.inspect().problems == [
        "render.subtitles.language: 'chinese' is not a language code: give 'auto' or a BCP 47 code such as en, zh, "
        "zh-Hant, ja, ko; did you mean 'zh'?"
    ]
