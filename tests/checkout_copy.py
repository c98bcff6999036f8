"""Copy this checkout (the working tree, uncommitted changes included) somewhere else, without the local
virtual environment, Git data or build and cache folders: for tests that install the pack the way users do."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORED = (".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
           ".hypothesis", "results.sarif")


def copy_checkout(destination: Path) -> Path:
    shutil.copytree(ROOT, destination, ignore=shutil.ignore_patterns(*IGNORED))
    return destination


def git(cwd: Path, *args: str) -> str:
    """git in a temporary repository, with a local identity (never the checkout's own .git)."""
    command = ["git", "-c", "user.name=vpce-checks tests", "-c", "user.email=tests@localhost",
               "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def committed_copy(destination: Path) -> Path:
    """A copy of the checkout as a Git repository with one commit (pre-commit try-repo needs one)."""
    copy_checkout(destination)
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "vpce-checks under test")
    return destination
