"""The sync from Python (``Client.plan``, ``Client.sync``) and from the command line
(``notion-xws plan`` and ``notion-xws sync``) on the demo world."""

import json
import typing

import pytest

import notion_xws
from notion_xws import Client, RunReport, types
from notion_xws.testing import FakeNotion

FAST = ("--requests-per-minute", "60000")


def writes(fake):
    return [
        r
        for r in fake.request_log()
        if not (r["method"] == "GET" or r["path"] == "/v1/search" or r["path"].endswith("/query"))
    ]


@pytest.fixture
def demo():
    with FakeNotion() as fake:
        info = fake.demo_world()
        client = Client(info["control_token"], fake=fake)
        client.repair(execute=True)
        fake.clear_request_log()
        yield fake, info, client


def pair(report, database):
    return next(p for p in report.pairs if p["pair"]["database"] == database)


def test_plan_writes_nothing_and_says_what_a_sync_would_do(demo):
    fake, _, client = demo
    plan = client.plan()
    assert isinstance(plan, RunReport) and plan.dry_run
    assert not writes(fake)
    tasks = pair(plan, "Tasks")
    assert tasks["created"] == 120 and tasks["state"]["state"] == "planned"
    assert plan.created == 120 + 30 + 30 + 8 + 6
    assert "dry run" in plan.to_markdown()
    assert json.loads(plan.to_json())["dry_run"] is True
    # The demo's revoked tokens leave 7 pairs out: a person is needed.
    assert plan.exit_status == 3
    assert [n["cause"] for n in plan.needs_person] == ["token"] * 7
    assert all(n["fix"] for n in plan.needs_person)


def test_sync_execute_then_a_second_sync_writes_nothing(demo):
    fake, info, client = demo
    seen = []
    first = client.sync(execute=True, progress=seen.append)
    assert not first.has_failures, first.to_markdown()
    assert first.created == 194  # 188 pushed or pulled, 6 of the two-way pair
    written = [e for e in seen if e["phase"] == "writing"]
    assert written and all(e["done"] <= e["planned"] for e in written)
    assert {e["pair"] for e in written} >= {"Tasks → VibeVessel Client Workspace"}
    fake.clear_request_log()
    second = client.sync(execute=True)
    assert second.writes == 0 and not writes(fake)
    assert second.unchanged == 194
    for output in (first.to_json(), first.to_markdown(), repr(first)):
        assert info["control_token"] not in output


def test_only_one_client(demo):
    _, _, client = demo
    with pytest.raises(notion_xws.ConfigError, match="Nobody"):
        client.plan(only="Nobody")
    report = client.plan(only="VibeVessel Client Workspace")  # the Clients row of that environment
    assert pair(report, "Tasks")["created"] == 120


def test_a_failing_progress_callback_does_not_stop_the_sync(demo):
    _, _, client = demo

    def broken(_):
        raise RuntimeError("boom")

    report = client.sync(execute=True, only="VibeVessel Client Workspace", progress=broken)
    assert not report.has_failures and report.created == 194


def test_wait_is_seconds_for_a_pair_another_run_writes(demo):
    _, _, client = demo
    with pytest.raises(notion_xws.ConfigError, match="wait"):
        client.sync(execute=True, wait=-1)
    # No other run holds a pair: nothing to wait for, every pair written by this one.
    report = client.sync(execute=True, only="VibeVessel Client Workspace", wait=30)
    assert report.created == 194
    assert not [p for p in report.pairs if p["state"]["state"] == "busy"]


def test_the_command(run_cli):
    with FakeNotion() as fake:
        info = fake.demo_world()
        env = {"NOTION_TOKEN": info["control_token"], "NOTION_BASE_URL": fake.serve()}
        assert run_cli("repair", "--execute", *FAST, env=env).returncode == 0
        fake.clear_request_log()
        # The pairs of the demo's revoked tokens need a person: exit status 3, and the report
        # says what to do for each.
        done = run_cli("plan", "--json", *FAST, env=env)
        assert done.returncode == 3, done.stderr
        planned = json.loads(done.stdout)
        assert planned["dry_run"] is True and planned["exit_status"] == 3
        assert {n["cause"] for n in planned["needs_person"]} == {"token"}
        done = run_cli("sync", *FAST, env=env)
        assert done.returncode == 3 and "dry run: nothing written" in done.stdout
        assert "## Needs a person" in done.stdout
        assert not writes(fake)
        done = run_cli("sync", "--execute", "--client", "VibeVessel", *FAST, env=env)
        assert done.returncode == 0, done.stderr
        assert "| Tasks → VibeVessel Client Workspace | synced | 120 |" in done.stdout
        # The first run of the whole registry records the status of each pair it skips (the 7
        # of the revoked tokens) in system-sync-links; the next one has nothing to write.
        done = run_cli("sync", "--execute", "--json", *FAST, env=env)
        assert done.returncode == 3
        skipped = [p for p in json.loads(done.stdout)["pairs"] if p["class"] == "needs-person"]
        assert len(skipped) == 7 and all(p["writes"] == 1 for p in skipped)
        fake.clear_request_log()
        done = run_cli("sync", "--execute", "--json", *FAST, env=env)
        assert done.returncode == 3
        assert sum(p["writes"] for p in json.loads(done.stdout)["pairs"]) == 0
        assert not writes(fake)
        assert info["control_token"] not in done.stdout + done.stderr


def test_the_registry_as_read(demo):
    _, info, client = demo
    registry = client.registry()
    assert len(registry["environments"]) == 18 and len(registry["databases"]) == 100
    vv = next(e for e in registry["environments"] if e["name"] == "VibeVessel Client Workspace")
    assert vv["token"] == "plain text in Notion"
    assert len(vv["databases"]) == 6
    assert info["control_token"] not in str(registry) and "ntn_" not in str(registry)
    tasks = next(d for d in registry["databases"] if d["name"] == "Tasks")
    assert tasks["sync"] == {"kind": "on", "value": "push"}


def test_a_conflict_policy_that_does_not_exist_is_a_configuration_error(demo):
    _, _, client = demo
    with pytest.raises(notion_xws.InvalidOptionError, match="conflict policy") as caught:
        client.plan(conflict_policy="whoever-shouts")  # type: ignore[arg-type]
    # A ValueError too, and still a ConfigError.
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, notion_xws.ConfigError)
    with pytest.raises(ValueError, match="wait"):
        client.sync(wait=-1)
    report = client.plan(conflict_policy="environment-wins")
    assert pair(report, "Shared Roadmap")["created"] == 6


def test_people_the_environment_lacks_can_be_written_as_names(demo):
    fake, _, client = demo
    with pytest.raises(notion_xws.ConfigError, match="people fallback"):
        client.plan(people_fallback="whoever")
    left_out = client.sync(execute=True)
    tasks = pair(left_out, "Tasks")
    assert tasks["waiting"] == 0 and tasks["files_not_copied"] == 0
    (note,) = [n for n in tasks["notes"] if "cannot be matched" in n]
    unmatched = int(note.split()[0])
    assert unmatched > 0
    # With the names fallback, each task naming the member VibeVessel lacks (once at most) gets
    # her name in "Assignee (unmatched)": one write per such task, and nothing else.
    named = client.sync(execute=True, people_fallback="names")
    tasks = pair(named, "Tasks")
    assert (tasks["created"], tasks["updated"]) == (0, unmatched)
    again = client.sync(execute=True, people_fallback="names")
    assert again.writes == 0


def test_a_source_in_the_trash_needs_a_person_and_nothing_is_written_to_its_copy(demo):
    from notion_client import Client as Sdk

    fake, info, client = demo
    client.sync(execute=True)
    with Sdk(auth=info["control_token"], base_url=fake.serve(), notion_version="2025-09-03") as sdk:
        found = sdk.search(query="Tasks", filter={"property": "object", "value": "data_source"})
        tasks = next(r for r in found["results"] if r["title"][0]["plain_text"] == "Tasks")
        database = tasks["parent"]["database_id"]
        sdk.databases.update(database, in_trash=True)
        fake.clear_request_log()
        report = client.sync(execute=True, recreate=True)  # recreate is for copies, not sources
        causes = {n["pair"]: n["cause"] for n in report.needs_person}
        assert causes["Tasks → VibeVessel Client Workspace"] == "source-in-trash"
        assert report.exit_status == 3
        # Nothing written but the pairs' status in the control workspace's system-sync-links.
        elsewhere = [w for w in writes(fake) if w["workspace"] != info["control_workspace"]]
        assert pair(report, "Tasks")["trashed"] == 0 and not elsewhere
        # Restored, the source is synced again: nothing changed, only its status written back.
        sdk.databases.update(database, in_trash=False)
    again = client.sync(execute=True)
    assert "source-in-trash" not in {n["cause"] for n in again.needs_person}
    assert pair(again, "Tasks")["updated"] == 0
    assert client.sync(execute=True).writes == 0


def test_prune_is_an_option_and_each_pair_names_its_rows_added_by_hand(demo):
    fake, _, client = demo
    client.sync(execute=True)
    fake.clear_request_log()
    pruned = client.sync(execute=True, prune=True)
    # The demo's copies hold no row a person added: nothing to name, nothing to trash.
    assert pruned.trashed == 0 and pruned.writes == 0
    assert all(p["added_by_hand"] == [] for p in json.loads(pruned.to_json())["pairs"])
    assert client.plan(prune=True).trashed == 0


def test_incremental_reads_full_reconciles_and_prune_columns_are_options(demo):
    fake, _, client = demo
    client.sync(execute=True)
    again = json.loads(client.sync(execute=True).to_json())["pairs"]
    # One-way pairs read only what changed since their watermark, relations and people
    # included (Tasks relates to Contacts and names people).
    assert any(p["incremental"] for p in again)
    assert all(p["incremental"] for p in again if p["pair"]["database"] == "Tasks")
    forced = json.loads(client.sync(execute=True, full=True).to_json())["pairs"]
    assert not any(p["incremental"] for p in forced)
    assert client.plan(prune_columns=True, full_every=3600).writes == 0
    with pytest.raises(ValueError):
        client.plan(full_every=0)
    with pytest.raises(notion_xws.InvalidOptionError):
        client.sync(full_every=-1)


def test_notify_posts_a_run_that_needs_a_person_to_a_webhook(demo):
    import http.server
    import threading

    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _, info, client = demo
        url = f"http://127.0.0.1:{server.server_address[1]}/hook/secret-path"
        report = client.sync(execute=True, notify=url)
        assert report.exit_status == 3  # the demo's revoked tokens
        assert len(received) == 1
        alert = received[0]
        assert alert["exit_status"] == 3
        assert [n["cause"] for n in alert["needs_person"]] == ["token"] * 7
        assert "need a person" in alert["text"]
        assert info["control_token"] not in json.dumps(alert)
        with pytest.raises(notion_xws.ConfigError):
            client.sync(notify="http://example.com/hook")  # http only to 127.0.0.1
    finally:
        server.shutdown()
        server.server_close()


#: The dict of each phase a progress callback receives.
EVENTS = {
    "tokens": types.TokensEvent,
    "parent_pages": types.ParentPagesEvent,
    "databases": types.DatabasesEvent,
    "token_copies": types.TokenCopiesEvent,
    "pairs": types.PairsEvent,
    "locating": types.LocatingEvent,
    "reading": types.ReadingEvent,
    "planning": types.PlanningEvent,
    "writing": types.WritingEvent,
    "finished": types.FinishedEvent,
}


def assert_typed(event):
    """The event has exactly its phase's keys, each of its declared type."""
    kind = EVENTS[event["phase"]]
    hints = typing.get_type_hints(kind)
    assert set(event) == set(hints), (event, hints)
    for key, hint in hints.items():
        words = [a for arg in typing.get_args(hint) or [hint] for a in typing.get_args(arg) or [arg]]
        if typing.get_origin(hint) is typing.Literal or all(isinstance(w, str) for w in words):
            assert event[key] in words, (key, event[key], words)
        else:
            assert isinstance(event[key], hint), (key, event[key], hint)


def test_a_two_way_pair_reports_typed_events_for_its_creates(demo):
    _, _, client = demo
    seen = []
    report = client.sync(execute=True, only="VibeVessel Client Workspace", progress=seen.append)
    two_way = next(p for p in report.pairs if p["pair"]["direction"] == "two-way")
    assert two_way["created"] == 6
    for event in seen:
        assert_typed(event)
    # The audit's phases first, each to its total.
    for phase in ("tokens", "parent_pages", "databases"):
        last = [e for e in seen if e["phase"] == phase][-1]
        assert last["done"] == last["total"] > 0
    label = f"{two_way['pair']['database']} ↔ {two_way['pair']['environment']}"
    assert any(e.get("pair") == label for e in seen), sorted({e.get("pair", "") for e in seen})
    mine = [e for e in seen if e.get("pair") == label]
    phases = [e["phase"] for e in mine]
    assert phases[0] == "locating" and phases[-1] == "finished"
    assert {"reading", "planning", "writing"} <= set(phases)
    assert phases.index("planning") < phases.index("writing")
    assert all(e["direction"] == "two-way" for e in mine)
    assert {e["side"] for e in mine if e["phase"] == "reading"} >= {"control"}
    written = [e for e in mine if e["phase"] == "writing"]
    assert written[0]["done"] == 0 and written[-1]["done"] == written[-1]["planned"] >= 6
    finished = mine[-1]
    assert (finished["class"], finished["created"], finished["failed"]) == ("synced", 6, 0)
    # The pass's pairs, to its total.
    pairs = [e for e in seen if e["phase"] == "pairs"]
    assert pairs[-1]["pass"] == 1 and pairs[-1]["done"] == pairs[-1]["total"] == len(
        [p for p in report.pairs if p["state"]["state"] != "skipped"]
    )


def test_the_audit_reports_its_phases_to_python(demo):
    _, _, client = demo
    seen = []
    client.audit(progress=seen.append)
    for event in seen:
        assert_typed(event)
    assert [e["phase"] for e in seen if e["done"] == e["total"]] == [
        "tokens",
        "parent_pages",
        "databases",
        "token_copies",
    ]


def test_the_plan_as_data_saved_and_applied_exactly_or_refused(demo, tmp_path):
    from notion_client import Client as Sdk

    fake, info, client = demo
    first = client.plan(only="VibeVessel Client Workspace")
    tasks = next(p for p in first.actions if p["pair"].startswith("Tasks → "))
    create = tasks["actions"][0]
    assert create["action"] == "create" and create["from"] and create["title"]
    assert tasks["schema"][0]["step"] == "create_database"
    assert first.totals["created"] == first.created
    assert first.started_at.startswith("20") and first.duration_ms >= 0
    assert all(len(line) <= 60 for line in first.to_text(60).splitlines())
    done = client.sync(execute=True, only="VibeVessel Client Workspace")
    assert any(p["created_url"] for p in done.pairs), done.to_markdown()
    with pytest.raises(notion_xws.errors.ConfigError):
        done.save_plan(str(tmp_path / "no.json"))

    sdk = Sdk(auth=info["control_token"], base_url=fake.serve())
    try:
        page = sdk.pages.retrieve(create["from"])
        name = next(k for k, v in page["properties"].items() if v["type"] == "title")

        def rename(text):
            sdk.pages.update(create["from"], properties={name: {"title": [{"text": {"content": text}}]}})

        rename("Edited once")
        plan = client.plan(only="VibeVessel Client Workspace")
        update = next(
            a for p in plan.actions for a in p["actions"] if a["action"] == "update" and a["from"] == create["from"]
        )
        assert {"property": name, "before": create["title"], "after": "Edited once"} in update["changes"]
        path = tmp_path / "plan.json"
        plan.save_plan(str(path))
        saved = json.loads(path.read_text())
        assert saved["format"] == "notion-xws-plan" and saved["flags"]["client"] == "VibeVessel Client Workspace"
        assert info["control_token"] not in path.read_text()

        rename("Edited twice")
        fake.clear_request_log()
        with pytest.raises(notion_xws.PlanStaleError) as refused:
            client.apply_plan(str(path))
        assert "edited since the plan" in str(refused.value)
        assert not writes(fake)

        again = client.plan(only="VibeVessel Client Workspace")
        again.save_plan(str(path))
        applied = client.apply_plan(str(path))
        assert applied.updated >= 1 and not applied.dry_run
    finally:
        sdk.close()
