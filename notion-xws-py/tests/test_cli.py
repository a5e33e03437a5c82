"""The notion-xws command, run as a user runs it: demo, parse-link, usage errors."""

import re
import sys

import pytest


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


def test_demo_syncs_relations_and_people(run_cli):
    done = run_cli("demo", script=True)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "The first sync created 194 rows" in out
    assert "the second made 0 writes" in out
    assert "## 7. relations and people" in out
    relations = re.search(
        r"(\d+) relation values in (\d+) tasks \(up to (\d+) on one task.*?: (\d+) right, "
        r"(\d+) misdirected, (\d+) missing",
        out,
    )
    assert relations, out
    values, tasks, most, right, misdirected, missing = map(int, relations.groups())
    assert values == right and values > tasks > 0
    assert most > 25
    assert (misdirected, missing) == (0, 0)
    assert '"Asset"): not copied' in out
    assert '"Asset" not synced' in out  # the pair's note
    people = re.search(
        r"(\d+) named in the source; (\d+) matched by email .*?, (\d+) left out and reported.*?, "
        r"(\d+) wrong, (\d+) missing",
        out,
    )
    assert people, out
    named, matched, unmatched, wrong, missing = map(int, people.groups())
    assert matched > 0 and unmatched > 0 and named == matched + unmatched
    assert (wrong, missing) == (0, 0)
    # The first sync's notes report every person left out (by pair: Tasks, Contacts).
    first_sync = out.split("## 5. sync --execute")[1].split("## 6.")[0]
    reported = re.findall(r"(\d+) (?:person|people) in the source cannot be matched", first_sync)
    assert len(reported) == 2 and sum(map(int, reported)) == unmatched, first_sync
    assert "Lena Vogel (not in VibeVessel's workspace)" in out


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


@pytest.mark.skipif(sys.platform == "win32", reason="arguments are Unicode on Windows")
def test_an_argument_that_is_not_utf8_is_a_usage_error(run_cli):
    done = run_cli("parse-link", b"\xff\xfe")
    assert done.returncode == 2, done.stderr
    assert "UTF-8" in done.stderr and "Traceback" not in done.stderr


def test_the_script_shows_the_logs_v_asks_for(run_cli):
    from notion_xws.testing import FakeNotion

    with FakeNotion() as fake:
        workspace = fake.add_workspace("Seren Media")
        env = {"NOTION_TOKEN": workspace.token, "NOTION_BASE_URL": fake.serve()}
        fake.fail_next("/v1/users/me", "internal_server_error")
        quiet = run_cli("--log-level", "error", "me", env=env)
        fake.fail_next("/v1/users/me", "internal_server_error")
        loud = run_cli("-vv", "me", env=env)
    assert quiet.returncode == 0 and "trying again" not in quiet.stderr
    assert loud.returncode == 0, loud.stderr
    assert "WARNING notion_xws.transport: GET /v1/users/me: Notion failed (500) on a read; trying again in" in loud.stderr
    assert "DEBUG notion_xws.transport: notion request" in loud.stderr
    assert workspace.token not in loud.stderr + loud.stdout
    assert "in the workspace Seren Media" in loud.stdout


def test_malformed_command_lines_never_trace_back_nor_echo_a_token(run_cli):
    """A seeded corpus of broken command lines through Python's script, each with a token-shaped
    word: an exit status a scheduler can act on, no traceback, the token never echoed."""
    import random

    rng = random.Random(7)
    words = ["sync", "plan", "audit", "repair", "watch", "init", "--every", "--max-wait",
             "--requests-per-minute", "--base-url", "--token-env", "--conflicts", "--client",
             "--full-every", "-x", "0", "-5", "soon", "10m"]
    pieces = ["https://", "notion://", "www.notion.so/", "0123456789abcdef0123456789abcdef",
              "?v=", "%zz", "\u200b", "\ufeff", "é", " ", "user:pass@", ".."]
    token = "ntn_" + "CORPUS" * 7  # an obvious fake, built at run time
    for case in range(30):
        args = [
            "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 5)))
            if rng.randrange(3) == 0
            else rng.choice(words)
            for _ in range(rng.randrange(1, 5))
        ]
        args.insert(rng.randrange(len(args) + 1), token)
        done = run_cli(*args, env={"NOTION_BASE_URL": "http://127.0.0.1:9"}, timeout=60, script=True)
        assert done.returncode in (0, 1, 2, 3), (case, args, done.stderr)
        assert "Traceback" not in done.stderr, (case, args, done.stderr)
        assert "CORPUS" * 3 not in done.stdout + done.stderr, (case, args)
