"""Dedicated differential run (SPEC section 7, issue 11): the engine against @cloud-copilot/iam-simulate on many
generated policies (20,000 by default), with the same checks, simulator defects and known pack classes as
tests/test_differential.py. Needs `npm ci --prefix tests/differential`. Prints the counts; exits 1 when a
disagreement is unclassified.

    python benchmarks/differential_run.py --policies 20000 --workers 2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.differential.harness import Differential, Run  # noqa: E402
from tests.differential.simulator import SimulatorPool, unavailable_reason  # noqa: E402
from tests.test_differential import SEED, judge, summary  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--workers", type=int, default=1, help="simulator processes sharing the batches")
    parser.add_argument("--show", type=int, default=10, help="unclassified disagreements to print")
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    pool = SimulatorPool(args.workers)

    def progress(run: Run) -> None:
        print(f"  {run.policies} policies, {run.seconds:.0f} s, {dict(run.verdicts)}, "
              f"{sum(run.requests.values())} requests", flush=True)

    try:
        print(f"iam-simulate {pool.versions['iamSimulate']}, iam-data {pool.versions['iamData']}; seed {args.seed}",
              flush=True)
        run = Differential(pool, seed=args.seed, progress=progress).run(args.policies)  # type: ignore[arg-type]
        judged = judge(run, pool)  # type: ignore[arg-type]
    finally:
        pool.close()
    print(summary(judged))
    shown = {}
    for d in judged.unclassified:
        shown.setdefault((id(d.policy), d.kind), d)
    for d in list(shown.values())[: args.show]:
        print("\n" + d.describe())
    return 1 if judged.unclassified else 0


if __name__ == "__main__":
    sys.exit(main())
