"""The renderer image installs `.[renderer]` only: the container program must not need the AWS SDK."""

from __future__ import annotations

import subprocess
import sys


def test_the_renderer_imports_without_boto3() -> None:
    program = (
        "import sys\n"
        "sys.modules['boto3'] = None\n"  # any import of it now raises ImportError
        "sys.modules['botocore'] = None\n"
        "import cloudburst.renderer.__main__, cloudburst.renderer.server, cloudburst.renderer.media.render\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
