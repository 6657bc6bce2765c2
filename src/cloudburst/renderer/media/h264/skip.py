"""P slices in which every macroblock is skipped: a decoder repeats the previous picture exactly.

A P_Skip macroblock copies its reference with the predicted motion vector, which is zero when the neighbours
are skipped too (H.264 8.4.1.1), carries no residual, and with deblocking disabled nothing touches the copy.
So one such slice costs a few bytes and no encoding, and the decoded frame is identical to the one before.

The slice is written for CAVLC (`entropy_coding_mode_flag` = 0): its data is a single `mb_skip_run` covering
the picture. Frames are reference pictures (nal_ref_idc 2, sliding-window marking), which picture order count
type 2 (x264's choice without B-frames) requires of consecutive frames.
"""

from __future__ import annotations

from cloudburst.renderer.media.h264.bits import BitReader, BitstreamError, BitWriter, escape, replace_bits, unescape
from cloudburst.renderer.media.h264.params import NAL_SLICE, Pps, Sps

P_SLICE_ALL = 5  # slice_type 5: P, and every slice of the picture is P
NAL_REF_IDC = 2


def check_supported(sps: Sps, pps: Pps) -> None:
    """Refuse parameter sets this writer cannot follow (they would come from a changed x264 command line)."""
    if pps.entropy_coding_mode:
        raise BitstreamError("skip slices need CAVLC (x264 cabac=0)")
    if sps.pic_order_cnt_type != 2:
        raise BitstreamError(f"skip slices need picture order count type 2 (no B-frames), got {sps.pic_order_cnt_type}")
    if sps.max_num_ref_frames < 1:
        raise BitstreamError("skip slices need max_num_ref_frames >= 1")
    if sps.separate_colour_plane or not sps.frame_mbs_only:
        raise BitstreamError("skip slices need progressive 4:2:0 frames")


def skip_slice(sps: Sps, pps: Pps, frame_num: int) -> bytes:
    """A whole-picture all-skip P slice NAL unit (header byte included, escaped, no start code)."""
    writer = BitWriter()
    writer.ue(0)  # first_mb_in_slice
    writer.ue(P_SLICE_ALL)
    writer.ue(pps.pps_id)
    writer.u(sps.log2_max_frame_num, frame_num % sps.max_frame_num)
    if pps.redundant_pic_cnt_present:
        writer.ue(0)
    writer.u(1, 0)  # num_ref_idx_active_override_flag: the PPS default is used
    writer.u(1, 0)  # ref_pic_list_modification_flag_l0
    if pps.weighted_pred:  # pred_weight_table with no explicit weights
        writer.ue(0)  # luma_log2_weight_denom
        if sps.chroma_array_type != 0:
            writer.ue(0)  # chroma_log2_weight_denom
        for _ in range(pps.num_ref_idx_l0_default_active):
            writer.u(1, 0)  # luma_weight_l0_flag
            if sps.chroma_array_type != 0:
                writer.u(1, 0)  # chroma_weight_l0_flag
    writer.u(1, 0)  # dec_ref_pic_marking: adaptive_ref_pic_marking_mode_flag (sliding window)
    writer.se(0)  # slice_qp_delta
    if pps.deblocking_filter_control_present:
        writer.ue(1)  # disable_deblocking_filter_idc: off, so the copy stays exact
    writer.ue(sps.pic_size_in_mbs)  # mb_skip_run: every macroblock
    writer.trailing_bits()
    header = bytes([(NAL_REF_IDC << 5) | NAL_SLICE])
    return header + escape(writer.to_bytes())


HEADER_PREFIX = 48
"""Escaped bytes that always hold a slice header's first fields (a few Exp-Golomb codes and frame_num)."""


def first_mb_in_slice(unit: bytes) -> int:
    return BitReader(unescape(unit[1:HEADER_PREFIX])).ue()


def with_frame_num(unit: bytes, sps: Sps, frame_num: int) -> bytes:
    """A coded slice NAL unit with its `frame_num` rewritten (a fixed-width field: nothing else moves).

    Only the header's start is unescaped, patched and escaped again; the rest of the (possibly large) slice
    is copied untouched. The cut is placed after two non-zero bytes, where no emulation-prevention byte can
    depend on what precedes it.
    """
    cut = _safe_cut(unit, HEADER_PREFIX)
    rbsp = unescape(unit[1:cut])
    reader = BitReader(rbsp)
    reader.ue()  # first_mb_in_slice
    reader.ue()  # slice_type
    reader.ue()  # pic_parameter_set_id
    if sps.separate_colour_plane:
        raise BitstreamError("separate colour planes are not supported")
    patched = replace_bits(rbsp, reader.position, sps.log2_max_frame_num, frame_num % sps.max_frame_num)
    return unit[:1] + escape(patched) + unit[cut:]


def _safe_cut(unit: bytes, start: int) -> int:
    """The first index >= start whose two preceding bytes are non-zero (or the end of the unit)."""
    index = max(3, start)
    while index < len(unit) and (unit[index - 1] == 0 or unit[index - 2] == 0):
        index += 1
    return min(index, len(unit))
