"""The H.264 bits we write by hand: Exp-Golomb codes, emulation prevention, skip slices, held-frame plans."""

from __future__ import annotations

import pytest

from cloudburst.renderer.media.h264.bits import (
    BitReader,
    BitstreamError,
    BitWriter,
    escape,
    iter_annexb,
    replace_bits,
    split_annexb,
    unescape,
)
from cloudburst.renderer.media.h264.params import Pps, Sps
from cloudburst.renderer.media.h264.skip import check_supported, first_mb_in_slice, skip_slice, with_frame_num
from cloudburst.renderer.media.held import CodedPicture, Hold, coding_plan

SPS = Sps(0, 1, False, 4, 2, 0, False, 1, 20, 12, True)  # 320x192, frame_num 4 bits, POC type 2
PPS = Pps(0, 0, False, False, 1, 1, True, True, False)


@pytest.mark.parametrize("value", [0, 1, 2, 3, 7, 8, 254, 255, 8160, 65535])
def test_exp_golomb_round_trips(value: int) -> None:
    writer = BitWriter()
    writer.ue(value)
    writer.se(-value)
    writer.se(value)
    writer.trailing_bits()
    reader = BitReader(writer.to_bytes())
    assert (reader.ue(), reader.se(), reader.se()) == (value, -value, value)


def test_known_codes() -> None:
    writer = BitWriter()
    for value in (0, 1, 2, 3):
        writer.ue(value)  # 1, 010, 011, 00100
    writer.trailing_bits()
    assert writer.to_bytes() == bytes([0b10100110, 0b01001000])


def test_emulation_prevention_round_trips() -> None:
    raw = bytes([0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 5, 0, 0])
    escaped = escape(raw)
    assert b"\x00\x00\x00" not in escaped
    assert b"\x00\x00\x01" not in escaped
    assert b"\x00\x00\x02" not in escaped
    assert unescape(escaped) == raw


def test_annexb_splitting_handles_three_and_four_byte_start_codes() -> None:
    stream = b"\x00\x00\x00\x01\x67\xaa\x00\x00\x01\x68\xbb\x00\x00\x00\x01\x65\xcc\xdd"
    assert split_annexb(stream) == [b"\x67\xaa", b"\x68\xbb", b"\x65\xcc\xdd"]


def test_replace_bits_changes_only_the_field() -> None:
    assert replace_bits(b"\xff\x00", 6, 4, 0b0101) == bytes([0b11111101, 0b01000000])


def test_a_skip_slice_header_reads_back_as_written() -> None:
    unit = skip_slice(SPS, PPS, frame_num=21)
    assert unit[0] == 0x41  # nal_ref_idc 2, type 1 (non-IDR slice)
    reader = BitReader(unescape(unit[1:]))
    assert reader.ue() == 0  # first_mb_in_slice
    assert reader.ue() == 5  # P, all slices P
    assert reader.ue() == 0  # PPS id
    assert reader.u(4) == 21 % 16  # frame_num wraps at MaxFrameNum
    assert reader.u(1) == 0  # num_ref_idx_active_override_flag
    assert reader.u(1) == 0  # ref_pic_list_modification_flag_l0
    assert (reader.ue(), reader.ue(), reader.u(1), reader.u(1)) == (0, 0, 0, 0)  # pred_weight_table
    assert reader.u(1) == 0  # adaptive_ref_pic_marking_mode_flag
    assert reader.se() == 0  # slice_qp_delta
    assert reader.ue() == 1  # deblocking off
    assert reader.ue() == SPS.pic_size_in_mbs  # one skip run over the picture
    assert reader.bit() == 1  # stop bit
    assert first_mb_in_slice(unit) == 0


def test_renumbering_a_slice_touches_only_frame_num() -> None:
    unit = skip_slice(SPS, PPS, frame_num=3)
    renumbered = with_frame_num(unit, SPS, 9)
    assert renumbered == skip_slice(SPS, PPS, frame_num=9)


def test_unsupported_parameter_sets_are_refused() -> None:
    with pytest.raises(BitstreamError, match="CAVLC"):
        check_supported(SPS, Pps(0, 0, True, False, 1, 1, False, True, False))
    with pytest.raises(BitstreamError, match="order count type 2"):
        check_supported(Sps(0, 1, False, 4, 0, 8, False, 1, 20, 12, True), PPS)
    with pytest.raises(BitstreamError, match="max_num_ref_frames"):
        check_supported(Sps(0, 1, False, 4, 2, 0, False, 0, 20, 12, True), PPS)


def test_the_coding_plan_refreshes_with_an_idr_at_the_interval() -> None:
    assert coding_plan([Hold(0, 25)], fps=1, keyframe_interval_s=10) == [
        CodedPicture(0, 10, True),
        CodedPicture(0, 10, True),
        CodedPicture(0, 5, True),
    ]
    plan = coding_plan([Hold(0, 8), Hold(1, 5), Hold(2, 1)], fps=1, keyframe_interval_s=10)
    assert plan == [
        CodedPicture(0, 8, True),
        CodedPicture(1, 2, False),
        CodedPicture(1, 3, True),
        CodedPicture(2, 1, False),
    ]
    assert sum(item.frames for item in plan) == 14


def test_nal_units_are_found_across_chunk_boundaries() -> None:
    units = [b"\x67\x42\x00\x1e", b"\x68\xce", b"\x65" + b"\x88" * 50 + b"\x00\x00\x03\x01", b"\x41\x9a"]
    stream = b"".join(
        (b"\x00\x00\x00\x01" if index % 2 else b"\x00\x00\x01") + unit for index, unit in enumerate(units)
    )
    for size in (1, 2, 3, 5, 7, 64, len(stream)):
        chunks = [stream[offset : offset + size] for offset in range(0, len(stream), size)]
        assert list(iter_annexb(chunks)) == units
