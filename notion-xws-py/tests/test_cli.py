"""The notion-xws command, run as a user runs it: demo, parse-link, usage errors."""


def test_demo_audits_repairs_and_audits_again(run_cli):
    done = run_cli("demo", script=True)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "# Registry audit" in out
    assert "| Environments with tokens | 7 |" in out
    assert "| WITH Data Source ID | 29 |" in out
    assert "## 2. repair --execute" in out
    assert "Data Source IDs filled: 29 → " in out
    assert "a second repair plans 0 changes" in out
    assert "| parent pages recorded | 0 |" in out
    assert "ntn_" not in out + done.stderr


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
