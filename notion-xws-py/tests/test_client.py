"""notion_xws.Client on the demo world of a FakeNotion, in memory: the audit, the repair, the
results' types, the exception mapping, threads and logs."""

import json
import logging
import threading

import pytest

import notion_xws
from notion_xws import AuditReport, AuditSummary, Client, Finding, RepairPlan, RepairReport
from notion_xws.testing import FakeNotion

TODAY = "2026-11-25"


@pytest.fixture
def world():
    """A fresh fake with the demo world; returns (fake, the demo world's dict)."""
    fake = FakeNotion()
    return fake, fake.demo_world()


def test_demo_world_names_what_a_test_needs(world):
    fake, info = world
    assert isinstance(info["control_token"], str) and info["control_token"]
    assert info["control_workspace"] == "Seren Media"
    assert len(info["environments"]) == 18
    assert "VibeVessel Client Workspace" in info["environments"]
    assert len(info["databases"]) == 100
    assert info["environments_database"] != info["databases_database"]


def test_the_audit_reproduces_the_gap_report_and_writes_nothing(world):
    fake, info = world
    fake.clear_request_log()
    client = Client(info["control_token"], fake=fake)
    report = client.audit()
    assert isinstance(report, AuditReport)
    s = report.summary
    assert isinstance(s, AuditSummary)
    assert (s.environments, s.environments_with_token, s.environments_without_token) == (18, 7, 11)
    assert s.environments_with_invalid_token == 6
    assert (s.databases, s.databases_with_data_source_id) == (100, 29)
    assert (s.databases_without_data_source_id, s.databases_with_url) == (71, 93)
    assert s.databases_unreachable == 3
    assert s.findings == len(report.findings) > 0
    assert s.to_dict()["databases"] == 100
    # Typed findings, most urgent first.
    assert all(isinstance(f, Finding) for f in report.findings)
    assert report.findings[0].severity == "P0"
    assert {f.severity for f in report.findings} <= {"P0", "P1", "P2"}
    codes = {f.code for f in report.findings}
    assert {"token.invalid", "database.ids-disagree", "token.plain-text"} <= codes
    assert all(f.subject is not None and f.message and f.fix for f in report.findings)
    assert report.has_blocking_findings and s.blocking_findings > 0
    # The per-row results are plain Python values.
    assert len(report.environments) == 18 and len(report.databases) == 100
    assert {"name", "token", "parent_page"} <= set(report.environments[0])
    assert report.control["workspace_name"] == "Seren Media"
    # Renderings.
    assert json.loads(report.to_json())["summary"]["databases_with_url"] == 93
    assert "| WITHOUT Data Source ID | 71 |" in report.to_markdown()
    # Read only: GETs, searches and queries.
    log = fake.request_log()
    assert log
    assert all(
        r["method"] == "GET" or r["path"] == "/v1/search" or r["path"].endswith("/query")
        for r in log
    ), [r for r in log if r["method"] != "GET"]


def test_no_token_in_what_the_client_shows(world):
    fake, info = world
    client = Client(info["control_token"], fake=fake)
    token = info["control_token"]
    assert token not in repr(client) and "ntn_" not in repr(client)
    report = client.audit()
    shown = [
        repr(client),
        repr(report),
        repr(report.summary),
        report.to_json(),
        report.to_markdown(),
        json.dumps(report.environments),
        json.dumps(report.databases),
        *(repr(f) + f.message + f.fix for f in report.findings),
        client.plan_repair(today=TODAY).to_json(),
    ]
    for text in shown:
        # The control token, and every plain-text token of the registry (all ntn_...).
        assert token not in text
        assert "ntn_" not in text, text[:200]


def test_repair_dry_run_writes_nothing_then_execute_fills_every_resolvable_id(world):
    fake, info = world
    client = Client(info["control_token"], fake=fake)

    plan = client.plan_repair(today=TODAY)
    assert isinstance(plan, RepairPlan) and len(plan) > 0 and plan
    kinds = {a["action"] for a in plan.actions}
    assert kinds == {"add_column", "set_data_source_id", "set_parent_page", "set_token_health"}
    assert json.loads(plan.to_json())["actions"] == plan.actions

    fake.clear_request_log()
    dry = client.repair(today=TODAY)
    assert isinstance(dry, RepairReport)
    assert (dry.executed, dry.applied, dry.failed, dry.outcomes) == (False, 0, 0, [])
    assert dry.actions == plan.actions
    assert all(r["method"] == "GET" or r["method"] == "POST" and
               (r["path"] == "/v1/search" or r["path"].endswith("/query"))
               for r in fake.request_log())

    done = client.repair(execute=True, today=TODAY)
    assert done.executed and done.failed == 0
    assert done.applied == len(plan) == len(done.outcomes)
    assert all(o["error"] is None for o in done.outcomes)
    assert json.loads(done.to_json())["applied"] == done.applied

    after = client.audit()
    for database in after.databases:
        if database["resolved"] is not None:
            assert database["data_source_id_recorded"], database["name"]
    assert after.summary.databases_with_data_source_id > 29
    # A third repair plans nothing, and writes nothing.
    assert len(client.plan_repair(today=TODAY)) == 0
    fake.clear_request_log()
    again = client.repair(execute=True, today=TODAY)
    assert (again.applied, again.actions) == (0, [])
    assert all(r["method"] in ("GET", "POST") for r in fake.request_log())
    assert not any(r["method"] == "PATCH" for r in fake.request_log())


def test_the_registry_by_id(world):
    fake, info = world
    client = Client(info["control_token"], fake=fake)
    report = client.audit(
        environments=info["environments_database"], databases=info["databases_database"]
    )
    assert report.summary.databases == 100
    with pytest.raises(notion_xws.NotionXwsError):
        client.audit(environments="https://www.notion.so/" + "0" * 32)


def test_me(world):
    fake, info = world
    me = Client(info["control_token"], fake=fake).me()
    assert me["workspace_name"] == "Seren Media"
    assert me["name"] and me["id"]


def test_client_arguments():
    client = Client("ntn_a_fake_token_for_a_test")
    assert client.api_version == "2026-03-11"
    assert "ntn_" not in repr(client)
    assert "https://api.notion.com" in repr(client)
    assert Client("ntn_x", api_version="2025-09-03").api_version == "2025-09-03"
    with pytest.raises(notion_xws.ConfigError):
        Client("ntn_x", api_version="2022-06-28")
    with pytest.raises(notion_xws.InvalidOptionError, match="at least 1 request a minute"):
        Client("ntn_x", requests_per_minute=0)
    with pytest.raises(ValueError):
        Client("ntn_x", api_version="2022-06-28")
    with pytest.raises(notion_xws.InvalidTokenError):
        Client("  ")


@pytest.mark.parametrize("base_url", ["not a url", "http://example.com", "ftp://127.0.0.1"])
def test_an_invalid_base_url_is_a_config_error(base_url):
    with pytest.raises(notion_xws.ConfigError) as caught:
        Client("ntn_canary_base_url_token", base_url=base_url)
    assert "ntn_canary" not in str(caught.value)


def test_a_revoked_control_token_is_unauthorized(world):
    fake, info = world
    assert fake.revoke_token(info["control_token"])
    client = Client(info["control_token"], fake=fake)
    with pytest.raises(notion_xws.UnauthorizedError) as caught:
        client.audit()
    error = caught.value
    assert (error.status, error.code) == (401, "unauthorized")
    assert isinstance(error, notion_xws.ApiError)
    assert info["control_token"] not in str(error) and "ntn_" not in str(error)
    with pytest.raises(notion_xws.UnauthorizedError):
        client.me()


def test_several_threads_audit_at_once_on_one_fake(world):
    fake, info = world
    client = Client(info["control_token"], fake=fake)
    expected = client.audit().summary
    results, errors = [], []

    def audit():
        try:
            # One client shared, and one client per thread, on the same fake.
            results.append(client.audit().summary)
            results.append(Client(info["control_token"], fake=fake).audit().summary)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=audit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(results) == 12
    assert all(r == expected for r in results)


def test_the_gil_is_released_while_a_client_works():
    fake = FakeNotion(latency_ms=2)
    info = fake.demo_world()
    client = Client(info["control_token"], fake=fake)
    done = threading.Event()
    ticks = 0

    def audit():
        client.audit()
        done.set()

    thread = threading.Thread(target=audit)
    thread.start()
    while not done.is_set():
        ticks += 1
    thread.join()
    # Python code ran all along: the audit (over 140 requests of 2 ms each) held no GIL.
    assert ticks > 10_000


def test_the_client_retries_what_the_fake_refuses_and_logs_it(caplog):
    fake = FakeNotion()
    info = fake.demo_world()
    fake.fail_next("/v1/users/me", "rate_limited")
    fake.fail_next("/query", "service_unavailable", method="post")
    caplog.set_level(logging.DEBUG, logger="notion_xws")
    report = Client(info["control_token"], fake=fake).audit()
    assert report.summary.databases == 100
    retries = [r for r in caplog.records if "trying again in" in r.getMessage()]
    assert retries, "no retry was logged"
    # One logger per module of the core, under notion_xws.
    assert {r.name for r in retries} == {"notion_xws.transport"}
    assert retries[0].levelno == logging.WARNING
    assert retries[0].notion_xws_target.startswith("notion_xws_core")
    for record in caplog.records:
        assert info["control_token"] not in record.getMessage()


def test_http_requests_are_logged_at_debug_without_the_token(caplog):
    with FakeNotion() as fake:
        info = fake.demo_world()
        client = Client(info["control_token"], base_url=fake.serve(), requests_per_minute=60_000,
                        burst=100)
        caplog.set_level(logging.DEBUG, logger="notion_xws")
        assert client.me()["workspace_name"] == "Seren Media"
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("notion_xws")]
    assert any("notion request" in m and "/v1/users/me" in m for m in messages), messages
    assert not any(info["control_token"] in m or "ntn_" in m for m in messages)


def test_nothing_is_logged_below_the_logger_level(caplog):
    fake = FakeNotion()
    info = fake.demo_world()
    caplog.set_level(logging.WARNING, logger="notion_xws")
    Client(info["control_token"], base_url=fake.serve(), requests_per_minute=60_000).me()
    fake.stop()
    assert not [r for r in caplog.records if r.name.startswith("notion_xws")]


def test_the_audit_report_goes_to_notion_and_replaces_the_previous_one(world):
    fake, info = world
    client = Client(info["control_token"], fake=fake)
    assert client.audit().notion_page is None
    first = client.audit(to_notion=True)
    assert first.notion_page.startswith("https://")
    first_id = first.notion_page.replace("-", "")[-32:]

    fake.clear_request_log()
    second = client.audit(to_notion=True)
    assert second.notion_page != first.notion_page
    log = fake.request_log()
    created = [r for r in log if r["method"] == "POST" and r["path"] == "/v1/pages"]
    trashed = [r for r in log if r["method"] == "PATCH" and r["path"].startswith("/v1/pages/")]
    assert len(created) == 1
    # The first report page, and only it, moved to the trash.
    assert [r["path"].replace("-", "")[-32:] for r in trashed] == [first_id]
    assert second.summary.findings == first.summary.findings


def test_init_makes_the_registry_on_an_empty_workspace_and_a_second_run_writes_nothing():
    fake = FakeNotion()
    workspace = fake.add_workspace("Seren Media")
    client = Client(workspace.token, fake=fake)
    with pytest.raises(notion_xws.RegistryError):
        client.audit()
    report = client.init(parent=workspace.root_page_id)
    assert [t["title"] for t in report["created"]] == ["system-databases", "system-environments"]
    assert (report["writes"], report["failed"], report["columns"]) == (2, 0, [])
    registry = client.registry()
    assert registry["environments"] == [] and registry["databases"] == []
    assert not client.audit().has_blocking_findings
    again = client.init(parent=workspace.root_page_id)
    assert (again["writes"], again["created"]) == (0, [])
    assert [t["title"] for t in again["found"]] == ["system-databases", "system-environments"]


def test_a_transport_error_kind_is_a_plain_string():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port: the connection is refused.
    client = Client("ntn_a_fake_token_for_a_test", base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(notion_xws.TransportError) as caught:
        client.me()
    assert caught.value.kind == "connect"
