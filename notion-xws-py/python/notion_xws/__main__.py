"""The ``notion-xws`` command (also ``python -m notion_xws``).

The command is implemented in the native module, like everything else; this file only hands it
the arguments and returns its exit status.
"""

import sys

from notion_xws import _native


def main() -> None:
    """Runs the command with ``sys.argv`` and exits with its status (130 after Ctrl-C)."""
    try:
        status = _native.main(sys.argv)
    except KeyboardInterrupt:
        print("notion-xws: interrupted", file=sys.stderr)
        status = 130
    sys.exit(status)


if __name__ == "__main__":
    main()
