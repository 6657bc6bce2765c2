"""ffmpeg's stderr in one short phrase: the first specific complaints, without addresses, paths or repeats."""

from __future__ import annotations

import pytest

from cloudburst.renderer.media.stderr_summary import MAX_CHARS, NOTHING, summarise_stderr

DECODE = "Error while decoding stream #0:0: Invalid data found when processing input"


@pytest.mark.parametrize(
    ("lines", "summary"),
    [
        pytest.param(
            [DECODE, "[aac @ 0x55d0c3a1b2c0] Reserved bit set.", DECODE, "[aac @ 0x55d0c3a1b2c0] Reserved bit set."]
            + [DECODE, "[aac @ 0x55d0c3a1b2c0] Prediction is not allowed in AAC-LC."] * 40,
            "Reserved bit set; Prediction is not allowed in AAC-LC",
            id="a corrupt AAC payload: two distinct complaints, no address, no generic line",
        ),
        pytest.param(
            [
                "[aac @ 0x5581d1c0a2c0] Number of bands (14) exceeds limit (5).",
                "[aac @ 0x5581d1c0a2c0] Number of bands (20) exceeds limit (9).",
                "[aac @ 0x5581d1c0a2c0] channel element 0.12 is not allocated",
            ],
            "Number of bands (14) exceeds limit (5); channel element 0.12 is not allocated",
            id="the same complaint with other numbers counts once",
        ),
        pytest.param(
            [
                "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5581d1c0a2c0] moov atom not found",
                "file:/srv/work/3f2a/inputs/audio.m4a: Invalid data found when processing input",
            ],
            "moov atom not found",
            id="the specific line, not the generic one that follows",
        ),
        pytest.param(
            ["file:/srv/work/3f2a/inputs/audio.m4a: Invalid data found when processing input"],
            "Invalid data found when processing input",
            id="a generic line when it is all there is, without the scratch path",
        ),
        pytest.param(
            ["[aist#0:0/aac @ 0x55d0c3a1] [dec:aac @ 0x55d0c3a2b3c4] Reserved bit set."],
            "Reserved bit set",
            id="newer ffmpegs tag a line twice",
        ),
        pytest.param(
            ["Error opening input file /srv/work/3f2a/inputs/audio.m4a."],
            "Error opening input file audio.m4a",
            id="a path inside a line keeps only its file name",
        ),
        pytest.param(
            ["[aac @ 0x55d0c3a1b2c0] Reserved bit set.", "x" * 200],
            "Reserved bit set",
            id="a second message that does not fit is left out",
        ),
        pytest.param(["", "   "], NOTHING, id="nothing written"),
    ],
)
def test_summaries(lines: list[str], summary: str) -> None:
    assert summarise_stderr(lines) == summary


def test_a_single_long_message_is_cut_to_fit() -> None:
    summary = summarise_stderr(["[h264 @ 0x55d0c3a1b2c0] " + "word " * 100])
    assert len(summary) == MAX_CHARS
    assert summary.startswith("word word")
    assert summary.endswith("…")
