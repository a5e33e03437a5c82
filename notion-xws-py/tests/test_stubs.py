"""The .pyi stubs match the native module (mypy's stubtest)."""

import subprocess
import sys


def test_stubs_match_the_module():
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "notion_xws"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
