# The C extension `_resample.c` (see its header comment).
from typing import Final

import numpy as np
import numpy.typing as npt

SIMD: Final[str]
"""The vector instructions the kernel uses on this CPU ("avx2"), or "" when it has none for it."""

def resize(
    src: npt.NDArray[np.uint8], dst: npt.NDArray[np.uint8], fx: float, fy: float, *, simd: bool = True
) -> None: ...
