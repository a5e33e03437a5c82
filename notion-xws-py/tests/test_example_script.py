"""examples/cross_workspace_sync.py, the old script's command line on notion_xws, run as a user
runs it: sync mode on the demo world, and transfer mode between two workspaces of a served fake
(the source database made with the official SDK)."""

import os
import subprocess
import sys

from notion_client import Client as Sdk

import notion_xws
from notion_xws.testing import FakeNotion

SCRIPT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "examples",
    "cross_workspace_sync.py",
)


#: The fake answers at once; Notion's 180 a minute would make each run last a minute.
FAST = ("--requests-per-minute", "60000")


def run(*args, env):
    full = dict(os.environ)
    full.update(env)
    return subprocess.run(
        [sys.executable, SCRIPT, *args, *FAST], capture_output=True, text=True, env=full, timeout=120
    )


def test_sync_mode_dry_run_then_execute():
    with FakeNotion() as fake:
        info = fake.demo_world()
        notion_xws.Client(info["control_token"], fake=fake).repair(execute=True)
        env = {"NOTION_TOKEN": info["control_token"], "NOTION_BASE_URL": fake.serve()}
        dry = run("--client", "VibeVessel", env=env)
        assert dry.returncode == 0, dry.stderr
        assert "Sync plan (dry run" in dry.stdout
        done = run("--client", "VibeVessel", "--execute", env=env)
        assert done.returncode == 0, done.stderr
        assert "| Tasks → VibeVessel Client Workspace | synced | 120 |" in done.stdout


def test_transfer_mode_copies_once():
    with FakeNotion() as fake:
        source = fake.add_workspace("Agency")
        target = fake.add_workspace("Client")
        url = fake.serve()
        sdk = Sdk(auth=source.token, base_url=url, retry=False)
        database = sdk.databases.create(
            parent={"type": "page_id", "page_id": source.root_page_id},
            title=[{"type": "text", "text": {"content": "Invoices"}}],
            initial_data_source={"properties": {"Name": {"title": {}}, "Amount": {"number": {}}}},
        )
        data_source = database["data_sources"][0]["id"]
        for i in range(150):
            sdk.pages.create(
                parent={"type": "data_source_id", "data_source_id": data_source},
                properties={
                    "Name": {"title": [{"text": {"content": f"INV-{i}"}}]},
                    "Amount": {"number": i * 10},
                },
            )
        env = {"NOTION_TOKEN": source.token, "CLIENT_TOKEN": target.token, "NOTION_BASE_URL": url}
        args = (
            "--transfer",
            "--source-db",
            database["url"],
            "--target-parent",
            target.root_page_id,
            "--target-token-env",
            "CLIENT_TOKEN",
        )
        assert run(*args, env=env).returncode == 0  # a dry run
        first = run(*args, "--execute", env=env)
        assert first.returncode == 0, first.stderr
        assert "| synced | 150 |" in first.stdout
        second = run(*args, "--execute", env=env)
        assert second.returncode == 0 and "| synced | 0 | 0 | 0 | 150 |" in second.stdout
        sdk.close()
        with Sdk(auth=target.token, base_url=url, retry=False) as reader:
            copies = reader.search(
                query="Invoices", filter={"property": "object", "value": "data_source"}
            )["results"]
        assert len(copies) == 1
        missing = run("--transfer", "--source-db", database["url"], env=env)
        assert missing.returncode == 2 and "--target-parent" in missing.stderr
        for done in (first, second):
            assert source.token not in done.stdout + done.stderr
            assert target.token not in done.stdout + done.stderr
