"""Each resource is analysed once per process: the real checkov CLI over fixtures/, with the pack's analysis log
(vpce_checks/analysis_cache.py), shows one adapter answer per resource and thing read, one parse per document, one
request space and one verdict per resource and target, however many of CKV_VPCE_1..9 read the resource."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.conftest import ENDPOINT_POLICY_GLOB, FIXTURES, results_of, run_checkov
from vpce_checks.analysis_cache import ADAPTED, ANALYSIS_LOG, PARSED, SOUNDNESS, SPACE, VERDICT


def test_each_resource_is_analysed_once_per_process(tmp_path: Path) -> None:
    log = tmp_path / "analysis.log"
    completed = run_checkov(FIXTURES, env={ANALYSIS_LOG: str(log),
                                           "VPCE_CHECKS_ENDPOINT_POLICY_GLOB": ENDPOINT_POLICY_GLOB})
    assert completed.returncode == 1, completed.stderr[-3000:]
    per_resource: Counter = Counter()
    for line in log.read_text(encoding="utf-8").splitlines():
        pid, kind, resource = line.split("\t", 2)
        per_resource[(pid, kind, resource)] += 1
    kinds = Counter(kind for _, kind, _ in per_resource)
    # not vacuous: every part of the analysis ran on many resources
    assert all(kinds[kind] >= 50 for kind in (ADAPTED, PARSED, SPACE, VERDICT, SOUNDNESS)), kinds
    repeated = {key: count for key, count in per_resource.items()
                if count > 1 and not key[2].startswith("|")}  # "|...": no resource (an adapter's own judging)
    assert not repeated, repeated
    # and the checks do share: many resources get several pack results from one adapter answer
    checks_per_resource = Counter((r["file_path"], r["resource"]) for r in results_of(completed))
    assert sum(1 for count in checks_per_resource.values() if count >= 2) >= 50
