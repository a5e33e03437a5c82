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


CHECKED = """
from notion_xws import Client
from notion_xws.types import PairDict, ProgressEvent

def on_progress(event: ProgressEvent) -> None:
    if event["phase"] == "writing":
        print(event["pair"], event["done"] + event["planned"])
    elif event["phase"] == "pairs":
        print(event["pass"], event["done"], event["total"])
    elif event["phase"] == "finished":
        print(event["class"], event["created"])

client = Client("ntn_x")
report = client.plan(conflict_policy="newer-wins", people_fallback="names")
pair: PairDict = report.pairs[0]
created: int = pair["created"]
state: str = pair["state"]["state"]
client.sync(progress=on_progress)
cause: str = report.needs_person[0]["cause"]
kind: str = client.plan_repair().actions[0]["action"]
"""


def _mypy(tmp_path, source):
    path = tmp_path / "checked.py"
    path.write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
    )


def test_options_and_results_are_typed_for_mypy(tmp_path):
    done = _mypy(tmp_path, CHECKED)
    assert done.returncode == 0, done.stdout + done.stderr
    wrong = CHECKED + (
        'client.plan(conflict_policy="newest-wins")\nbad: str = pair["nope"]\n'
        "def unnarrowed(event: ProgressEvent) -> int:\n"
        '    return event["planned"]\n'
    )
    done = _mypy(tmp_path, wrong)
    assert done.returncode == 1
    assert 'Argument "conflict_policy" to "plan" of "Client" has incompatible type' in done.stdout
    assert '"PairDict" has no key "nope"' in done.stdout
    # An event is one of the phases' dicts: "planned" is a key of the writing phase's only.
    assert 'TypedDict "TokensEvent" has no key "planned"' in done.stdout
