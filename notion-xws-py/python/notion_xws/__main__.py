"""The ``notion-xws`` command (also ``python -m notion_xws``).

The command is implemented in the native module, like everything else; this file only hands it
the arguments and returns its exit status.
"""

import sys

from notion_xws import _native


def main() -> None:
    """Runs the command with ``sys.argv`` and exits with its status."""
    sys.exit(_native.main(sys.argv))


if __name__ == "__main__":
    main()
