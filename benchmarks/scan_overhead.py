"""Benchmark (not a test): what the pack costs on top of Checkov, printed as ratios.

    python benchmarks/scan_overhead.py [DIR] [--repeat N]

Compares, over the same tree (default: fixtures/), wall and CPU time of
  1. `checkov -d DIR` with Checkov's own checks (the four frameworks the pack reads),
  2. `checkov -d DIR --external-checks-dir <pack>` (everything plus the pack),
  3. `vpce-checks scan DIR` (the pack alone, with explanations),
as ratios to 1 from paired, interleaved runs (the order rotates each round; median of the per-round ratios), and
the engine's verdicts per second on the fixtures' raw policies. Every run is offline. benchmarks/bench.py runs the
issue's whole table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vpce_checks.cli import FRAMEWORKS, checks_path  # noqa: E402


def run_once(command: list, env: dict) -> tuple:
    """Wall and CPU seconds (children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def interleaved(commands: list, repeat: int) -> list:
    """Per round, every command once (the order rotating each round); per command, the rounds' (wall, cpu)."""
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE")
    rounds = [[None] * len(commands) for _ in range(repeat)]
    for index in range(repeat):
        order = list(range(len(commands)))
        order = order[index % len(order):] + order[:index % len(order)]
        for position in order:
            rounds[index][position] = run_once(commands[position], env)
    return rounds


def engine_rate(directory: Path) -> tuple:
    """Verdicts per second over every raw JSON resource policy under ``directory`` (engine only, no Checkov)."""
    from vpce_checks.adapters.rawjson import sources_for_json
    from vpce_checks.engine.model import PolicyError, parse_policy
    from vpce_checks.engine.perimeter import perimeter_of

    sources = []
    for path in directory.rglob("*.json"):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        sources.extend(sources_for_json(document, str(path)))
    policies = []
    for source in sources:
        try:
            policies.append((parse_policy(source.document), source.target))
        except PolicyError:
            continue
    if not policies:
        return 0, 0.0
    rounds = max(1, 2000 // len(policies))
    start = time.perf_counter()
    for _ in range(rounds):
        for policy, target in policies:
            perimeter_of(policy, target)
    elapsed = time.perf_counter() - start
    return len(policies), rounds * len(policies) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default=str(ROOT / "fixtures"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    directory = Path(args.directory).resolve()
    checkov = [sys.executable, "-m", "checkov.main", "-d", str(directory), "--framework", *FRAMEWORKS,
               "--skip-download", "-o", "json"]
    commands = [checkov, checkov + ["--external-checks-dir", checks_path()],
                [sys.executable, "-m", "vpce_checks", "scan", str(directory)]]
    rounds = interleaved(commands, args.repeat)
    print(f"tree: {directory} ({args.repeat} interleaved rounds, offline; ratios to run 1 per round, median)")
    print(f"{'run':<44}{'wall s':>9}{'cpu s':>9}{'wall ratio':>12}{'cpu ratio':>11}")
    for position, name in enumerate(("checkov (its own checks)", "checkov + the pack", "vpce-checks scan (pack only)")):
        wall = statistics.median(r[position][0] for r in rounds)
        cpu = statistics.median(r[position][1] for r in rounds)
        wall_ratio = statistics.median(r[position][0] / r[0][0] for r in rounds)
        cpu_ratio = statistics.median(r[position][1] / r[0][1] for r in rounds)
        print(f"{name:<44}{wall:>9.2f}{cpu:>9.2f}{wall_ratio:>12.2f}{cpu_ratio:>11.2f}")
    count, rate = engine_rate(directory)
    print(f"engine: {count} raw policies, {rate:,.0f} verdicts per second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
