"""`notion-xws audit` and `notion-xws repair`, run as a user runs them (a subprocess, through
``python -m notion_xws`` and the ``notion-xws`` script), against the demo world served over HTTP
by ``FakeNotion().serve()``."""

import json

import pytest

from notion_xws.testing import FakeNotion

#: The fake answers at once; Notion's own 180 a minute would make each run last a minute.
FAST = ("--requests-per-minute", "60000")


@pytest.fixture
def served():
    """The demo world served on 127.0.0.1: (fake, demo world, the environment of a user)."""
    with FakeNotion() as fake:
        info = fake.demo_world()
        fake.clear_request_log()
        env = {"NOTION_TOKEN": info["control_token"], "NOTION_BASE_URL": fake.serve()}
        yield fake, info, env


def writes(fake):
    """The requests that were not reads (GETs, searches and queries)."""
    return [
        r
        for r in fake.request_log()
        if not (r["method"] == "GET" or r["path"] == "/v1/search" or r["path"].endswith("/query"))
    ]


def no_token(done, info):
    assert info["control_token"] not in done.stdout + done.stderr
    assert "ntn_" not in done.stdout + done.stderr


@pytest.mark.parametrize("script", [False, True], ids=["python -m notion_xws", "notion-xws"])
def test_audit_json_exits_1_on_blocking_findings(run_cli, served, script):
    fake, info, env = served
    fake.clear_request_log()
    done = run_cli("audit", "--json", *FAST, env=env, script=script)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)  # nothing else on stdout
    s = report["summary"]
    assert (s["environments"], s["environments_with_token"], s["environments_without_token"]) == (
        18,
        7,
        11,
    )
    assert s["environments_with_invalid_token"] == 6
    assert (s["databases"], s["databases_with_data_source_id"], s["databases_with_url"]) == (
        100,
        29,
        93,
    )
    assert s["blocking_findings"] > 0
    assert any(f["severity"] == "P0" for f in report["findings"])
    assert fake.request_log() and not writes(fake)
    no_token(done, info)


def test_audit_prints_markdown_and_writes_it_to_a_file(run_cli, served, tmp_path):
    fake, info, env = served
    done = run_cli("audit", *FAST, env=env)
    assert done.returncode == 1
    assert "| WITHOUT Data Source ID | 71 |" in done.stdout
    path = tmp_path / "gap-report.md"
    done = run_cli("audit", "--markdown", str(path), *FAST, env=env)
    assert done.returncode == 1, done.stderr
    markdown = path.read_text()
    assert markdown.startswith("# Registry audit")
    assert "| Environments WITH" in markdown or "| Environments WITHOUT tokens | 11 |" in markdown
    assert str(path) in done.stdout and "blocking" in done.stdout
    assert "ntn_" not in markdown
    no_token(done, info)
    # Both: the JSON on stdout, the Markdown in the file.
    path.unlink()
    done = run_cli("audit", "--json", "--markdown", str(path), *FAST, env=env)
    assert json.loads(done.stdout)["summary"]["databases"] == 100
    assert path.exists()


def test_repair_is_a_dry_run_unless_executed(run_cli, served):
    fake, info, env = served
    fake.clear_request_log()
    done = run_cli("repair", *FAST, env=env)
    assert done.returncode == 0, done.stderr
    assert "dry run: nothing written; run with --execute to apply" in done.stdout
    assert "set Data Source ID of" in done.stdout
    assert 'add column "Database-Parent-Page-ID" (url) to system-environments' in done.stdout
    assert not writes(fake)
    no_token(done, info)

    done = run_cli("repair", "--json", *FAST, env=env)
    assert done.returncode == 0
    dry = json.loads(done.stdout)
    assert (dry["executed"], dry["applied"], dry["outcomes"]) == (False, 0, [])
    assert len(dry["actions"]) > 65
    assert not writes(fake)


@pytest.mark.parametrize("script", [False, True], ids=["python -m notion_xws", "notion-xws"])
def test_repair_execute_then_audit(run_cli, served, script):
    fake, info, env = served
    done = run_cli("repair", "--execute", "--json", *FAST, env=env, script=script)
    assert done.returncode == 0, done.stderr
    applied = json.loads(done.stdout)
    assert applied["executed"] and applied["failed"] == 0
    assert applied["applied"] == len(applied["actions"]) == len(applied["outcomes"])
    assert writes(fake)

    done = run_cli("audit", "--json", *FAST, env=env, script=script)
    report = json.loads(done.stdout)
    assert report["summary"]["databases_with_data_source_id"] > 29
    assert all(d["data_source_id_recorded"] for d in report["databases"] if d["resolved"])

    fake.clear_request_log()
    done = run_cli("repair", "--execute", *FAST, env=env, script=script)
    assert done.returncode == 0
    assert done.stdout.splitlines()[0] == "nothing to repair"
    assert done.stdout.splitlines()[1].startswith("Started 20")
    assert not writes(fake)


def test_human_repair_output_has_one_line_per_change(run_cli, served):
    fake, info, env = served
    plan = json.loads(run_cli("repair", "--json", *FAST, env=env).stdout)["actions"]
    done = run_cli("repair", "--execute", *FAST, env=env)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert sum(line.startswith("done    ") for line in lines) == len(plan)
    assert lines[-2] == f"Total: {len(plan)} applied, 0 failed"
    assert lines[-1].startswith("Started 20") and ", took " in lines[-1]


def test_a_missing_token_variable_is_named(run_cli, served):
    fake, info, env = served
    done = run_cli("audit", env={"NOTION_BASE_URL": env["NOTION_BASE_URL"]})
    assert done.returncode == 2
    assert "NOTION_TOKEN is not set" in done.stderr
    assert done.stdout == ""
    done = run_cli("repair", "--token-env", "CONTROL_TOKEN", env=env)
    assert done.returncode == 2
    assert "CONTROL_TOKEN is not set" in done.stderr
    assert fake.request_log() == []


def test_token_env_names_the_variable(run_cli, served):
    fake, info, env = served
    other = {"OTHER": info["control_token"], "NOTION_BASE_URL": env["NOTION_BASE_URL"]}
    done = run_cli("--token-env", "OTHER", "audit", "--json", *FAST, env=other)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["summary"]["databases"] == 100
    # After the command, as a global option.
    done = run_cli("audit", "--json", "--token-env", "OTHER", *FAST, env=other)
    assert done.returncode == 1, done.stderr


@pytest.mark.parametrize("option", ["--token", "--notion-token", "--auth"])
def test_a_token_cannot_be_given_as_an_argument(run_cli, served, option):
    fake, info, env = served
    fake.clear_request_log()
    done = run_cli("audit", option, info["control_token"], env={"NOTION_BASE_URL": env["NOTION_BASE_URL"]})
    assert done.returncode == 2
    assert "unexpected argument" in done.stderr
    assert info["control_token"] not in done.stdout + done.stderr
    assert fake.request_log() == []


def test_base_url_option_and_errors(run_cli, served):
    fake, info, env = served
    token_only = {"NOTION_TOKEN": info["control_token"]}
    done = run_cli("--base-url", env["NOTION_BASE_URL"], "audit", "--json", *FAST, env=token_only)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["summary"]["environments"] == 18
    done = run_cli("--base-url", "http://example.com", "audit", env=token_only)
    assert done.returncode == 2
    assert "base URL" in done.stderr or "loopback" in done.stderr
    no_token(done, info)


def test_the_registry_by_id_or_link(run_cli, served):
    fake, info, env = served
    link = "https://www.notion.so/" + info["databases_database"].replace("-", "")
    done = run_cli(
        "audit", "--json", "--environments", info["environments_database"], "--databases", link,
        *FAST, env=env,
    )
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["summary"]["databases"] == 100
    done = run_cli("audit", "--databases", "https://www.notion.so/" + "1" * 32, *FAST, env=env)
    assert done.returncode in (1, 2)
    assert done.stderr.startswith("notion-xws: ")


def test_a_revoked_control_token_is_a_configuration_error(run_cli, served):
    fake, info, env = served
    fake.revoke_token(info["control_token"])
    done = run_cli("audit", *FAST, env=env)
    assert done.returncode == 2
    assert "401" in done.stderr or "unauthorized" in done.stderr.lower()
    no_token(done, info)


def test_ctrl_c_stops_a_run_cleanly(served):
    """SIGINT during an audit (paced at Notion's 180 a minute, so it lasts ~50 s) stops it at
    once with status 130, as Ctrl-C does on a terminal."""
    import os
    import signal
    import subprocess
    import sys
    import time

    fake, info, env = served
    full_env = {k: v for k, v in os.environ.items() if k not in env}
    full_env.update(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "notion_xws", "audit"],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not fake.request_log() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert time.monotonic() - started < 5
    assert "interrupted" in stderr
    assert stdout == ""
