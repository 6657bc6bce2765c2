"""The job contract: what is accepted, what is refused, and that refusals name the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cloudburst.models.errors import describe_validation_error
from cloudburst.models.job import JobSpec, parse_s3_uri
from cloudburst.models.render_options import Effect, RenderOptions


def _job(**overrides: object) -> dict[str, object]:
    job: dict[str, object] = {"scenes": [{"name": "s1", "image": "images/s1.png", "audio": "audio/s1.mp3"}]}
    job.update(overrides)
    return job


def _problems(document: dict[str, object]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        JobSpec.model_validate(document)
    return describe_validation_error(caught.value, JobSpec)


def test_minimal_job_gets_documented_defaults() -> None:
    job = JobSpec.model_validate(_job())
    options = job.options_for(job.scenes[0])
    assert (options.fps, options.effect, options.quality.crf) == (30, Effect.NONE, 23)
    assert job.batching.max_parallel_tasks == 10
    assert job.compute.profile == "standard"
    assert job.output.prefix == "outputs/"


def test_scene_overrides_deep_merge_over_job_options() -> None:
    job = JobSpec.model_validate(
        _job(
            render={"effect": "zoom_in", "subtitles": {"font_size": 40, "box": True}},
            scenes=[
                {"name": "a", "image": "a.png", "audio": "a.mp3", "render": {"subtitles": {"font_size": 60}}},
                {"name": "b", "image": "b.png", "audio": "b.mp3", "effect": "pan_left"},
            ],
        )
    )
    first, second = (job.options_for(scene) for scene in job.scenes)
    assert (first.subtitles.font_size, first.subtitles.box, first.effect) == (60, True, Effect.ZOOM_IN)
    assert (second.subtitles.font_size, second.effect) == (40, Effect.PAN_LEFT)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (_job(scenes=[]), "scenes: List should have at least 1 item"),
        (_job(scenes=[{"name": "a", "image": "a.png"}]), "scenes[0].audio: Field required"),
        (
            _job(scenes=[{"name": "a b", "image": "a.png", "audio": "a.mp3"}]),
            "scenes[0].name: String should match",
        ),
        (
            _job(scenes=[{"name": "a", "image": "../etc/passwd", "audio": "a.mp3"}]),
            "scenes[0].image: '../etc/passwd'",
        ),
        (_job(scenes=[{"name": "a", "image": "/abs.png", "audio": "a.mp3"}]), "scenes[0].image: '/abs.png'"),
        (
            _job(scenes=[{"name": "a", "image": "https://x/a.png", "audio": "a.mp3"}]),
            "other schemes are refused",
        ),
        (_job(scenes=[{"name": "a", "image": "s3://B/a.png", "audio": "a.mp3"}]), "not a valid s3:// URI"),
        (
            _job(
                scenes=[
                    {"name": "a", "image": "a.png", "audio": "a.mp3"},
                    {"name": "a", "image": "b", "audio": "c"},
                ]
            ),
            "scene names must be unique; repeated: a",
        ),
        (
            _job(scenes=[{"name": "..", "image": "a.png", "audio": "a.mp3"}]),
            "scenes[0].name: '..' is only dots",
        ),
        (
            _job(
                scenes=[
                    {"name": "Intro", "image": "a.png", "audio": "a.mp3"},
                    {"name": "intro", "image": "b", "audio": "c"},
                ]
            ),
            "scenes[0] (Intro) and scenes[1] (intro): scene names must differ in more than case",
        ),
        (_job(batching={"max_parallel_tasks": 0}), "batching.max_parallel_tasks: Input should be greater"),
        (_job(compute={"profile": "huge"}), "compute.profile: Input should be"),
        (_job(compute={"capacity": "spot", "architecture": "arm64"}), "capacity 'spot' needs architecture"),
        (_job(render={"fps": 0}), "render.fps: Input should be greater than or equal to 1"),
        (_job(render={"colour": "red"}), "render.colour: unknown field"),
        (_job(render={"efect": "zoom_in"}), "render.efect: unknown field; did you mean 'effect'?"),
        (_job(scenes=[{"name": "a", "imgae": "a.png"}]), "scenes[0].imgae: unknown field; did you mean 'image'?"),
        (
            _job(compute={"cpu": 4}),
            "compute.cpu: unknown field; expected one of architecture, capacity, profile",
        ),
        (
            _job(scenes=[{"name": "a", "image": "a", "audio": "b", "render": {"subtitles": {"fnt": "x"}}}]),
            "scenes[0] (a): render.subtitles.fnt: unknown field; did you mean 'font'?",
        ),
        (
            _job(render={"subtitles": {"language": "English"}}),
            "render.subtitles.language: 'English' is not a language code: give 'auto' or a BCP 47 code such as en",
        ),
        (
            _job(scenes=[{"name": "a", "image": "a", "audio": "b", "render": {"subtitles": {"box_opacity": 2}}}]),
            "scenes[0] (a): render.subtitles.box_opacity: Input should be less than or equal to 1",
        ),
        (_job(output={"prefix": "/abs/"}), "output.prefix: String should match"),
    ],
)
def test_invalid_jobs_are_refused_with_the_field_named(document: dict[str, object], expected: str) -> None:
    assert any(expected in problem for problem in _problems(document)), _problems(document)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"width": 1920}, "height: width and height go together"),
        ({"height": 1080}, "width: width and height go together"),
        ({"width": 1921, "height": 1080}, "width: width must be even"),
        ({"width": 1920, "height": 1081}, "height: height must be even"),
        ({"width": 7680, "height": 4320}, "width: width x height (7680x4320) must be at most"),
        ({"width": 2160, "height": 7680}, "height: width x height (2160x7680) must be at most"),
        ({"subtitles": {"color": "white"}}, "subtitles.color: String should match pattern"),
        ({"quality": {"crf": 60}}, "quality.crf: Input should be less than or equal to 51"),
    ],
)
def test_render_options_refuse_impossible_frames(options: dict[str, object], expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RenderOptions.model_validate(options)
    assert any(problem.startswith(expected) for problem in describe_validation_error(caught.value))


def test_parse_s3_uri() -> None:
    assert parse_s3_uri("s3://my-bucket/a/b.png") == ("my-bucket", "a/b.png")
    with pytest.raises(ValueError, match="not an s3:// URI"):
        parse_s3_uri("images/a.png")
