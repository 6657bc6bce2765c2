"""Cue times become frame ranges exactly, and segments cover the video with one subtitle state each."""

from __future__ import annotations

import random

from cloudburst.core.subtitle_cues import Cue
from cloudburst.renderer.media.subtitles.plan import frames_for_every_cue, subtitle_timeline
from cloudburst.renderer.media.subtitles.timeline import Segment, cue_frames, first_frame_at_or_after, segments


def _cue(start_ms: int, end_ms: int) -> Cue:
    return Cue(start_ms, end_ms, ("x",), 1)


def test_a_frame_shows_a_cue_when_start_is_at_or_before_it_and_end_after_it() -> None:
    assert first_frame_at_or_after(1000, 30) == 30
    assert first_frame_at_or_after(1001, 30) == 31
    assert first_frame_at_or_after(1033, 30) == 31  # frame 31 is at 1033.33 ms
    assert first_frame_at_or_after(1034, 30) == 32
    assert cue_frames(_cue(500, 1000), 30) == (15, 30)  # frames 15..29 are shown, 30 is not
    assert cue_frames(_cue(0, 40), 25) == (0, 1)


def test_segments_cover_every_frame_once_with_the_visible_cues() -> None:
    cues = [_cue(1000, 2500), _cue(2000, 4000), _cue(9000, 12000)]
    parts = segments(cues, fps=30, total_frames=300)
    assert parts == [
        Segment(0, 30, ()),
        Segment(30, 60, (0,)),
        Segment(60, 75, (0, 1)),
        Segment(75, 120, (1,)),
        Segment(120, 270, ()),
        Segment(270, 300, (2,)),
    ]
    assert sum(part.frames for part in parts) == 300


def test_cues_outside_the_video_are_clipped_or_ignored_and_equal_neighbours_merge() -> None:
    cues = [_cue(0, 1000), _cue(1000, 2000), _cue(5000, 9000), _cue(20000, 21000)]
    parts = segments(cues, fps=10, total_frames=60)
    assert parts == [Segment(0, 10, (0,)), Segment(10, 20, (1,)), Segment(20, 50, ()), Segment(50, 60, (2,))]


def test_no_cues_is_one_empty_segment() -> None:
    assert segments([], fps=30, total_frames=90) == [Segment(0, 90, ())]


def test_twenty_thousand_cues_are_planned_quickly_and_consistently() -> None:
    cues = [_cue(index * 500, index * 500 + 700) for index in range(20_000)]
    parts = segments(cues, fps=30, total_frames=400_000)
    assert sum(part.frames for part in parts) == 400_000
    assert all(len(part.cues) <= 2 for part in parts)


def test_a_shorter_video_shows_the_first_states_of_a_longer_one() -> None:
    """What lets the raster start before the audio is measured: it draws every cue's states, and a video of
    any length shows a prefix of them, each state the same cues."""
    rng = random.Random(5)
    for _ in range(200):
        cues = []
        for _cue_index in range(rng.randint(1, 8)):
            start = rng.randrange(0, 10_000, 40)
            cues.append(_cue(start, start + rng.randrange(40, 4_000, 40)))
        every_cue = frames_for_every_cue(cues, 25)
        longest, longest_states = subtitle_timeline(cues, 25, every_cue)
        cues_of_state = {
            state: part.cues for part, state in zip(longest, longest_states, strict=True) if state is not None
        }
        for total in (1, rng.randint(1, every_cue), every_cue, every_cue + 50):
            parts, states = subtitle_timeline(cues, 25, total)
            shown = [state for state in states if state is not None]
            assert shown == list(range(len(shown)))
            for part, state in zip(parts, states, strict=True):
                assert (state is None) == (part.cues == ())
                if state is not None:
                    assert cues_of_state[state] == part.cues
