"""The fields of x264's sequence and picture parameter sets that a skip slice's header depends on."""

from __future__ import annotations

from dataclasses import dataclass

from cloudburst.renderer.media.h264.bits import BitReader, BitstreamError, unescape

NAL_SLICE = 1
NAL_IDR = 5
NAL_SEI = 6
NAL_SPS = 7
NAL_PPS = 8
NAL_AUD = 9

_HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


@dataclass(frozen=True)
class Sps:
    sps_id: int
    chroma_format_idc: int
    separate_colour_plane: bool
    log2_max_frame_num: int
    pic_order_cnt_type: int
    log2_max_poc_lsb: int
    delta_pic_order_always_zero: bool
    max_num_ref_frames: int
    width_mbs: int
    height_map_units: int
    frame_mbs_only: bool

    @property
    def pic_size_in_mbs(self) -> int:
        return self.width_mbs * self.height_map_units * (1 if self.frame_mbs_only else 2)

    @property
    def max_frame_num(self) -> int:
        return 1 << self.log2_max_frame_num

    @property
    def chroma_array_type(self) -> int:
        return 0 if self.separate_colour_plane else self.chroma_format_idc


@dataclass(frozen=True)
class Pps:
    pps_id: int
    sps_id: int
    entropy_coding_mode: bool  # True = CABAC
    bottom_field_pic_order_present: bool
    num_slice_groups: int
    num_ref_idx_l0_default_active: int
    weighted_pred: bool
    deblocking_filter_control_present: bool
    redundant_pic_cnt_present: bool


def nal_type(unit: bytes) -> int:
    return unit[0] & 0x1F


def parse_sps(unit: bytes) -> Sps:
    reader = BitReader(unescape(unit[1:]))
    profile_idc = reader.u(8)
    reader.u(16)  # constraint flags, level_idc
    sps_id = reader.ue()
    chroma_format_idc, separate = 1, False
    if profile_idc in _HIGH_PROFILES:
        chroma_format_idc = reader.ue()
        if chroma_format_idc == 3:
            separate = bool(reader.u(1))
        reader.ue()  # bit_depth_luma_minus8
        reader.ue()  # bit_depth_chroma_minus8
        reader.u(1)  # qpprime_y_zero_transform_bypass_flag
        if reader.u(1):  # seq_scaling_matrix_present_flag
            for index in range(8 if chroma_format_idc != 3 else 12):
                if reader.u(1):
                    _skip_scaling_list(reader, 16 if index < 6 else 64)
    log2_max_frame_num = reader.ue() + 4
    poc_type = reader.ue()
    log2_max_poc_lsb = 0
    always_zero = False
    if poc_type == 0:
        log2_max_poc_lsb = reader.ue() + 4
    elif poc_type == 1:
        always_zero = bool(reader.u(1))
        reader.se()
        reader.se()
        for _ in range(reader.ue()):
            reader.se()
    max_refs = reader.ue()
    reader.u(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs = reader.ue() + 1
    height_map_units = reader.ue() + 1
    frame_mbs_only = bool(reader.u(1))
    return Sps(
        sps_id,
        chroma_format_idc,
        separate,
        log2_max_frame_num,
        poc_type,
        log2_max_poc_lsb,
        always_zero,
        max_refs,
        width_mbs,
        height_map_units,
        frame_mbs_only,
    )


def parse_pps(unit: bytes) -> Pps:
    reader = BitReader(unescape(unit[1:]))
    pps_id = reader.ue()
    sps_id = reader.ue()
    entropy = bool(reader.u(1))
    bottom_field = bool(reader.u(1))
    slice_groups = reader.ue() + 1
    if slice_groups != 1:
        raise BitstreamError("slice groups (FMO) are not supported")
    l0_default = reader.ue() + 1
    reader.ue()  # num_ref_idx_l1_default_active_minus1
    weighted_pred = bool(reader.u(1))
    reader.u(2)  # weighted_bipred_idc
    reader.se()  # pic_init_qp_minus26
    reader.se()  # pic_init_qs_minus26
    reader.se()  # chroma_qp_index_offset
    deblocking_control = bool(reader.u(1))
    reader.u(1)  # constrained_intra_pred_flag
    redundant = bool(reader.u(1))
    return Pps(
        pps_id, sps_id, entropy, bottom_field, slice_groups, l0_default, weighted_pred, deblocking_control, redundant
    )


def _skip_scaling_list(reader: BitReader, size: int) -> None:
    last, following = 8, 8
    for _ in range(size):
        if following != 0:
            following = (last + reader.se() + 256) % 256
        last = following or last
