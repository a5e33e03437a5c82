"""Shared fixtures of the notion_xws tests."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: The variables the command reads; the tests set them explicitly, never inherit them.
COMMAND_VARIABLES = ("NOTION_TOKEN", "NOTION_BASE_URL")


@pytest.fixture
def run_cli():
    """Runs ``python -m notion_xws`` as a user would, returning the completed process.

    ``script=True`` runs the ``notion-xws`` script installed next to the interpreter instead.
    The environment is the test's, without ``NOTION_TOKEN`` and ``NOTION_BASE_URL`` unless
    given in ``env``.
    """

    def run(*args, env=None, timeout=120, script=False):
        full_env = {k: v for k, v in os.environ.items() if k not in COMMAND_VARIABLES}
        full_env.update(env or {})
        if script:
            command = [os.path.join(os.path.dirname(sys.executable), "notion-xws")]
        else:
            command = [sys.executable, "-m", "notion_xws"]
        return subprocess.run(
            [*command, *args],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    return run
