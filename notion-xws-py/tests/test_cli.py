"""The notion-xws command, run as a user runs it."""


def test_demo_runs(run_cli):
    done = run_cli("demo")
    assert done.returncode == 0, done.stderr
    assert "row opened in peek (p=):   00112233-4455-6677-8899-aabbccddeeff" in done.stdout
    assert "not a Notion host" in done.stdout


def test_parse_link(run_cli):
    done = run_cli("parse-link", "https://app.notion.com/p/Roadmap-5b8f0c1de2a34f6789abcdef01234567")
    assert done.returncode == 0
    assert "5b8f0c1d-e2a3-4f67-89ab-cdef01234567" in done.stdout
    done = run_cli("parse-link", "https://google.com/5b8f0c1de2a34f6789abcdef01234567")
    assert done.returncode == 1
    assert "not a Notion host" in done.stderr


def test_usage_errors_exit_2(run_cli):
    done = run_cli("no-such-command")
    assert done.returncode == 2
    assert "Usage" in done.stderr or "usage" in done.stderr
