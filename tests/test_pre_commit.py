"""The pre-commit hook (.pre-commit-hooks.yaml) through pre-commit itself: `pre-commit try-repo` installs this
checkout (a committed copy of the working tree) into its own virtual environment with pip, as for any user, and
runs the hook in a temporary Git repository on a failing and a passing policy file, and on one file of a
Terraform module whose policy is in another file. Needs the package registry for that install (about half a
minute per run with pip's cache warm); PRE_COMMIT_HOME is a temporary folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.checkout_copy import ROOT, committed_copy, git
from tests.conftest import FIXTURES, offline_env

FAILING = FIXTURES / "CKV_VPCE_1" / "json" / "allow_stringequals_only_fail.json"
PASSING = FIXTURES / "CKV_VPCE_1" / "json" / "s3_star_actions_pass.json"
MODULE = FIXTURES / "CKV_VPCE_1" / "terraform" / "jsonencode_refs_pass" / "main.tf"


def _pre_commit() -> list:
    found = shutil.which("pre-commit", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                             os.environ.get("PATH", "")]))
    if not found:
        pytest.skip("pre-commit is not installed (it is in the test extras)")
    return [found]


def test_hook_manifest():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "vpce-checks")
    assert hook["language"] == "python" and hook["entry"] == "vpce-checks scan"
    assert hook["pass_filenames"] and hook["require_serial"]
    pattern = re.compile(hook["files"])
    for name in ("main.tf", "policy.json", "stack.yaml", "stack.yml", "stack.template", "infra/s3/bucket.tf"):
        assert pattern.search(name), name
    for name in ("README.md", "main.py", "terraform.tfstate"):
        assert not pattern.search(name), name


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    base = tmp_path_factory.mktemp("pre-commit")
    pack = committed_copy(base / "pack")
    repo = base / "project"
    (repo / "policies").mkdir(parents=True)
    (repo / "infra").mkdir()
    shutil.copy(FAILING, repo / "policies" / "failing.json")
    shutil.copy(PASSING, repo / "policies" / "passing.json")
    source = MODULE.read_text(encoding="utf-8")
    bucket, _, policy = source.partition('resource "aws_s3_bucket_policy"')
    (repo / "infra" / "bucket.tf").write_text(bucket[bucket.index('resource "aws_s3_bucket"'):])
    (repo / "infra" / "policy.tf").write_text('resource "aws_s3_bucket_policy"' + policy)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "policies")
    return {"base": base, "pack": pack, "repo": repo}


def _try_repo(project, *files: str) -> subprocess.CompletedProcess:
    env = offline_env({"PRE_COMMIT_HOME": str(project["base"] / "pre-commit-home"),
                       "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    env.pop("VIRTUAL_ENV", None)
    start = time.monotonic()
    completed = subprocess.run([*_pre_commit(), "try-repo", str(project["pack"]), "vpce-checks", "--verbose",
                                "--files", *files], cwd=project["repo"], env=env, capture_output=True, text=True,
                               timeout=1200)
    print(f"pre-commit try-repo ({' '.join(files)}): {time.monotonic() - start:.1f}s")
    return completed


def test_hook_fails_on_the_failing_policy_and_explains_it(project):
    completed = _try_repo(project, "policies/failing.json", "policies/passing.json")
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output[-4000:]
    assert "CKV_VPCE_1 FAILED" in output and "failing.json" in output
    assert "Counterexample: " in output and "is not explicitly denied" in output and "Fix: " in output
    assert "CKV_VPCE_1 PASSED" in output and "passing.json" in output
    assert "vpce-checks results — passed: " in output


def test_hook_passes_a_passing_policy_and_a_module_split_over_files(project):
    completed = _try_repo(project, "policies/passing.json", "infra/bucket.tf")
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    assert "CKV_VPCE_1 PASSED  aws_s3_bucket_policy.reports" in output  # found in policy.tf, not passed in
    assert "FAILED" not in output.replace("failed: 0", "")
