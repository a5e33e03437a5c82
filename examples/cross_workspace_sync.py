"""cross_workspace_sync.py, rewritten on notion_xws: the old script's command line, same habits
(a dry run unless --execute), none of its defects (rows are matched, never duplicated; every row,
not the first 50; tokens from the environment, never from the command line).

    NOTION_TOKEN=... python examples/cross_workspace_sync.py --client VibeVessel [--execute]
    NOTION_TOKEN=... ACME_TOKEN=... python examples/cross_workspace_sync.py --transfer \\
        --source-db <id or link> --target-parent <id or link> --target-token-env ACME_TOKEN [--execute]
"""

import argparse
import os
import sys

import notion_xws


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", help="only this environment (or Clients row)")
    parser.add_argument("--dry-run", action="store_true", default=True, help="the default")
    parser.add_argument("--execute", action="store_true", help="write")
    parser.add_argument("--transfer", action="store_true", help="copy one database, once")
    parser.add_argument("--source-db", help="the database to transfer (ID or link)")
    parser.add_argument("--target-parent", help="the page to transfer it under (ID or link)")
    parser.add_argument("--target-token-env", help="the variable holding the target's token")
    parser.add_argument("--base-url", default=os.environ.get("NOTION_BASE_URL", "https://api.notion.com"))
    parser.add_argument("--requests-per-minute", type=int, default=180, help="each token's budget")
    args = parser.parse_args()
    token = os.environ.get("NOTION_TOKEN")
    if not token:
        parser.error("NOTION_TOKEN is not set")
    client = notion_xws.Client(
        token, base_url=args.base_url, requests_per_minute=args.requests_per_minute
    )
    try:
        if args.transfer:
            if not (args.source_db and args.target_parent and args.target_token_env):
                parser.error("--transfer needs --source-db, --target-parent and --target-token-env")
            target_token = os.environ.get(args.target_token_env)
            if not target_token:
                parser.error(f"{args.target_token_env} is not set")
            report = client.transfer(
                args.source_db, target_token, args.target_parent, execute=args.execute
            )
        else:
            report = client.sync(execute=args.execute, only=args.client)
    except notion_xws.NotionXwsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2 if isinstance(error, notion_xws.ConfigError) else 1
    print(report.to_markdown())
    return report.exit_status  # 0 synced, 1 something failed, 3 a person is needed


if __name__ == "__main__":
    sys.exit(main())
