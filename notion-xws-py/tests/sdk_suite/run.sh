#!/usr/bin/env bash
# Runs the official Python SDK's own test suite against the fake Notion.
#
# Fetches notion-client's source distribution from PyPI (its tests/ are in it), installs that
# notion-client, pytest and the suite's plugins into a scratch folder (ahead of the environment on
# the path, which stays as it was), lays the SDK's tests beside our fixtures (sdk_conftest.py, as
# conftest.py) and runs pytest there with the interpreter that has notion_xws. Needs network to
# PyPI; the tests themselves reach only 127.0.0.1.
#
#   bash notion-xws-py/tests/sdk_suite/run.sh [pytest arguments]
#
# PYTHON (default: python3) is the interpreter with notion_xws installed; NOTION_CLIENT_VERSION
# (default 3.1.0) the SDK release whose suite runs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
version="${NOTION_CLIENT_VERSION:-3.1.0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -c "import notion_xws.testing" || {
    echo "run.sh: $python has no notion_xws; install it (pip install ./notion-xws-py) first" >&2
    exit 2
}
"$python" -m pip download --quiet --no-deps --no-binary :all: \
    "notion-client==$version" --dest "$work/dist"
tar -xzf "$work/dist/notion_client-$version.tar.gz" -C "$work"
"$python" -m pip install --quiet --target "$work/deps" "notion-client==$version" pytest \
    pytest-asyncio pytest-mock pytest-timeout

mkdir "$work/suite"
cp -r "$work/notion_client-$version/tests" "$work/suite/tests"
cp "$here/sdk_conftest.py" "$work/suite/conftest.py"
cp "$here/pytest.ini" "$work/suite/pytest.ini"
cd "$work/suite"
PYTHONPATH="$work/deps${PYTHONPATH:+:$PYTHONPATH}" "$python" -m pytest -p no:cacheprovider tests "$@"
