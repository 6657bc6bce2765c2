# The C extension `_x264.c` (see its header comment).
from typing import Final

import numpy as np
import numpy.typing as npt

BUILD: Final[int]
"""X264_BUILD of the libx264 the extension was built against (its ABI)."""

class Encoder:
    def __init__(self, width: int, height: int, fps: int, preset: str, options: list[tuple[str, str]]) -> None: ...
    def encode(
        self, y: npt.NDArray[np.uint8], uv: npt.NDArray[np.uint8], stride: int, *, idr: bool = False
    ) -> tuple[bytes, int, int, bool] | None: ...
    def flush(self) -> tuple[bytes, int, int, bool] | None: ...
    def close(self) -> None: ...
