"""The Lambdas import only what the CoreLayer holds (layers/core/requirements.txt): never the renderer, whose
dependencies (numpy, OpenCV, libass) are in the container image alone. Checks they share with the renderer,
such as the subtitle cue parser, live in `cloudburst.core` for this reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[3] / "functions"
RENDERER_ONLY = ("numpy", "cv2")


def test_every_handler_imports_without_the_renderer_or_its_dependencies() -> None:
    handlers = sorted(path.stem for path in FUNCTIONS.glob("*.py") if path.stem != "lambda_runtime")
    program = (
        "import importlib, os, sys\n"
        f"sys.path.insert(0, {str(FUNCTIONS)!r})\n"
        "os.environ.setdefault('POWERTOOLS_METRICS_NAMESPACE', 'CloudBurst')\n"
        + "".join(f"sys.modules[{name!r}] = None\n" for name in RENDERER_ONLY)  # importing them now fails
        + f"for handler in {handlers!r}:\n"
        "    importlib.import_module(handler)\n"
        "loaded = sorted(name for name in sys.modules if name.startswith('cloudburst.renderer'))\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "plan_job" in handlers
