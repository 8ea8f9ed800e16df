"""`make eval-watchers` = `python -m lammesh.evaluation [--watchers injection,...] [--out FILE]`."""

from __future__ import annotations

import argparse
import json
import platform
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from lammesh.evaluation.frozen import REPO_ROOT, FrozenSetError
from lammesh.logging import configure_logging
from lammesh.settings import Settings

DEFAULT_OUT = REPO_ROOT / "loadtest" / "results" / "eval-watchers.json"


RULE_WATCHERS = ("grounding", "pii", "policy")
UNKNOWN = "unknown watcher set {!r}: choose from injection, rules, grounding, pii, policy"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--watchers",
        default="injection,rules",
        help="comma-separated: injection, rules (= grounding, pii, policy), or any of grounding, pii, policy",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    configure_logging(Settings(service_name="eval-watchers", log_level="WARNING", log_format="console"))
    console = Console()
    wanted = {w.strip() for w in args.watchers.split(",") if w.strip()}
    unknown = sorted(wanted - {"injection", "rules", *RULE_WATCHERS})
    if unknown:
        parser.error(UNKNOWN.format(unknown[0]))  # rather than measuring nothing
    report: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}",
    }
    try:
        if "injection" in wanted:
            from lammesh.evaluation.injection import evaluate_injection

            report["injection"] = evaluate_injection(console)
        rules = [w for w in RULE_WATCHERS if "rules" in wanted or w in wanted]
        if rules:
            try:
                from lammesh.evaluation.rule_watchers import evaluate_rule_watchers
            except ImportError:
                console.print("[yellow]rule watchers: no evaluation module on this branch[/yellow]")
            else:
                report["rule_watchers"] = evaluate_rule_watchers(console, REPO_ROOT, rules)
    except FrozenSetError as error:
        console.print(f"[red]{error}[/red]")
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"figures written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
