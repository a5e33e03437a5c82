"""A seeded corpus of broken registries through Python's ``notion-xws`` script (#20): a small
registry made with ``init`` on the served fake, broken one to three ways at once over HTTP (as a
person editing it in Notion would), then audited and synced twice. Whatever the breakage: an exit
status a scheduler can act on (0-3), no traceback, no token in any output, and never a second
copy in the client's workspace."""

import json
import random
import urllib.error
import urllib.request

from notion_xws.testing import FakeNotion

FAST = ("--requests-per-minute", "60000")
VERSION = "2025-09-03"


def call(base, token, method, path, body=None):
    """One request to the served fake; its JSON answer (an error's too)."""
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Notion-Version": VERSION,
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


def text(content):
    return [{"text": {"content": content}}]


def link(object_id):
    return "https://www.notion.so/" + object_id.replace("-", "")


def data_sources(base, token, title):
    """The live data sources titled exactly ``title`` that ``token`` can read."""
    found = call(base, token, "POST", "/v1/search",
                 {"query": title, "filter": {"property": "object", "value": "data_source"}})
    return [
        r for r in found["results"]
        if "".join(t["plain_text"] for t in r.get("title", [])) == title and not r.get("in_trash")
    ]


def small_world(run_cli):
    """The fake served, a registry made by ``init``, Tasks (two rows) pushed to Acme."""
    fake = FakeNotion()
    control = fake.add_workspace("Seren Media")
    acme = fake.add_workspace("Acme")
    base = fake.serve()
    env = {"NOTION_TOKEN": control.token, "NOTION_BASE_URL": base}
    made = run_cli(*FAST, "init", "--parent", control.root_page_id, env=env, script=True)
    assert made.returncode == 0, made.stderr
    dbs = data_sources(base, control.token, "system-databases")[0]["id"]
    envs = data_sources(base, control.token, "system-environments")[0]["id"]
    tasks = call(base, control.token, "POST", "/v1/databases", {
        "parent": {"type": "page_id", "page_id": control.root_page_id},
        "title": text("Tasks"),
        "initial_data_source": {"properties": {"Name": {"title": {}}, "Notes": {"rich_text": {}}}},
    })
    tasks_ds = tasks["data_sources"][0]["id"]
    for i in range(2):
        call(base, control.token, "POST", "/v1/pages", {
            "parent": {"data_source_id": tasks_ds},
            "properties": {"Name": {"title": text(f"Row {i}")}},
        })
    parent = call(base, acme.token, "POST", "/v1/pages", {
        "parent": {"page_id": acme.root_page_id},
        "properties": {"title": {"title": text("database-parent-page")}},
    })["id"]
    row = call(base, control.token, "POST", "/v1/pages", {
        "parent": {"data_source_id": dbs},
        "properties": {
            "Name": {"title": text("Tasks")},
            "Sync": {"select": {"name": "Push"}},
            "Data Source ID": {"url": link(tasks_ds)},
        },
    })["id"]
    acme_row = call(base, control.token, "POST", "/v1/pages", {
        "parent": {"data_source_id": envs},
        "properties": {
            "Name": {"title": text("Acme")},
            "Primary-Token": {"rich_text": text(acme.token)},
            "Environment-Type": {"select": {"name": "Client"}},
            "Database-Parent-Page-ID": {"url": link(parent)},
            "Databases": {"relation": [{"id": row}]},
        },
    })["id"]
    return {
        "fake": fake, "control": control, "acme": acme, "base": base, "env": env, "dbs": dbs,
        "envs": envs, "tasks_db": tasks["id"], "tasks_ds": tasks_ds, "row": row,
        "acme_row": acme_row, "parent": parent,
    }


def break_registry(w, how, rng):
    base, token = w["base"], w["control"].token
    fake_token = "ntn_" + "CORPUS" * 7

    def patch_row(row, properties):
        call(base, token, "PATCH", f"/v1/pages/{row}", {"properties": properties})

    def patch_schema(ds, properties):
        call(base, token, "PATCH", f"/v1/data_sources/{ds}", {"properties": properties})

    if how == "sync-word":
        patch_row(w["row"], {"Sync": {"select": {"name": "Sideways"}}})
    elif how == "sync-retyped":
        patch_schema(w["dbs"], {"Sync": {"multi_select": {}}})
    elif how == "names-the-registry":
        patch_row(w["row"], {"Data Source ID": {"url": link(w["envs"])}})
    elif how == "environment-twice":
        call(base, token, "POST", "/v1/pages", {
            "parent": {"data_source_id": w["envs"]},
            "properties": {
                "Name": {"title": text(rng.choice(["Ac\u200bme", "Acme again"]))},
                "Primary-Token": {"rich_text": text(w["acme"].token)},
                "Database-Parent-Page-ID": {"url": link(w["parent"])},
                "Databases": {"relation": [{"id": w["row"]}]},
            },
        })
    elif how == "token-garbage":
        patch_row(w["acme_row"], {"Primary-Token": {"rich_text": text(fake_token + " \u200b%zz")}})
    elif how == "control-token":
        patch_row(w["acme_row"], {"Primary-Token": {"rich_text": text(token)}})
    elif how == "token-retyped":
        patch_schema(w["envs"], {"Primary-Token": {"number": {}}})
    elif how == "two-relations":
        patch_schema(w["envs"], {"Archive": {"relation": {
            "data_source_id": w["dbs"], "type": "single_property", "single_property": {}}}})
    elif how == "parent-garbage":
        patch_row(w["acme_row"], {"Database-Parent-Page-ID": {"url": "user:pass@..%zz " + fake_token}})
    elif how == "database-in-trash":
        call(base, token, "PATCH", f"/v1/databases/{w['tasks_db']}", {"in_trash": True})
    else:
        raise AssertionError(how)


BREAKS = ["sync-word", "sync-retyped", "names-the-registry", "environment-twice", "token-garbage",
          "control-token", "token-retyped", "two-relations", "parent-garbage", "database-in-trash"]
#: Cells first, then the columns' types (a cell is written as its column's type).
RETYPES = {"sync-retyped", "token-retyped", "two-relations"}


def test_broken_registries_through_the_script_never_trace_back_leak_nor_duplicate(run_cli):
    rng = random.Random(2020)
    flagged = 0
    for case in range(9):
        w = small_world(run_cli)
        # Case 0 is the registry unbroken: the control that the world does sync.
        ways = [rng.choice(BREAKS) for _ in range(rng.randrange(1, 4))] if case else []
        for how in sorted(ways, key=lambda h: h in RETYPES):
            break_registry(w, how, rng)
        tokens = [w["control"].token, w["acme"].token, "CORPUS" * 3]
        for args in (("audit", "--json"), ("sync", "--execute", "--json"),
                     ("sync", "--execute", "--json")):
            done = run_cli(*FAST, *args, env=w["env"], timeout=120, script=True)
            said = done.stdout + done.stderr
            flagged += args[0] == "audit" and done.returncode == 1
            assert done.returncode in (0, 1, 2, 3), (case, ways, args, done.stderr)
            assert "Traceback" not in said, (case, ways, args, done.stderr)
            assert "panicked" not in said, (case, ways, args, done.stderr)
            for token in tokens:
                assert token not in said, (case, ways, args, "a token in the output")
            if done.returncode == 2:
                # A configuration error says what is wrong, in a line or a few.
                assert done.stderr.startswith("notion-xws: ") and len(done.stderr) < 4000, done.stderr
            elif args[0] == "audit" or done.returncode != 1 or done.stdout:
                json.loads(done.stdout)
        copies = data_sources(w["base"], w["acme"].token, "Tasks")
        assert len(copies) == 1 if case == 0 else len(copies) <= 1, (case, ways, copies)
        w["fake"].stop()
    # The corpus does break registries: blocking findings.
    assert flagged >= 4, flagged
