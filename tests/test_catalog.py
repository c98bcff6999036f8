"""The one check catalog (vpce_checks/catalog.py) against every place that names a check: the check classes,
`vpce-checks list`, the README's check table, the docs pages' headers, and string literals in the package."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from checkov.common.models.enums import CheckCategories

from tests.conftest import offline_env
from vpce_checks.catalog import BY_ID, CHECKS, CLOUDFORMATION_TYPES, PREFIX, TERRAFORM_TYPES, info

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "vpce_checks"
CHECKS_DIR = PACKAGE / "checks"
# The engine still names IDs in its service profiles; another change moves that knowledge out (issue 13, item 1).
NOT_YET_CATALOGUED = ("engine",)


def _load_check_modules():
    modules = []
    for path in sorted(CHECKS_DIR.glob("vpce_*.py")):
        spec = importlib.util.spec_from_file_location(f"catalog_test_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append((path, module))
    return modules


def test_titles_are_unique_and_repeat_no_word():
    assert len({c.title for c in CHECKS}) == len(CHECKS)
    for check in CHECKS:
        words = check.title.lower().split()
        assert not any(a == b for a, b in zip(words, words[1:])), check.title
        assert check.severity in ("HIGH", "MEDIUM", "LOW") and CheckCategories[check.category]
        assert (ROOT / check.docs_file).is_file()


def test_every_check_class_takes_its_metadata_from_the_catalog():
    seen = {}
    for path, module in _load_check_modules():
        classes = [n for n in ast.parse(path.read_text()).body if isinstance(n, ast.ClassDef)]
        assert len(classes) == 1, path  # one class a file, `check = ...` at the bottom (Checkov's convention)
        check = module.check
        entry = info(check.id)
        assert check.name == entry.title, path
        assert str(check.severity.name) == entry.severity, path
        assert [c.name for c in check.categories] == [entry.category], path
        assert check.guideline is None, path  # no repository URL set: no invented link
        framework = path.stem.split("_")[1]
        seen.setdefault(check.id, set()).add(framework)
        assert len(path.read_text().splitlines()) <= 25, path  # the base classes keep check files thin
    assert set(seen) == set(BY_ID)
    terraform = {r for path, module in _load_check_modules() if "_tf_" in path.name for r in module.check.resources}
    cloudformation = {r for path, module in _load_check_modules() if "_cfn_" in path.name
                      for r in module.check.resources}
    assert (terraform, cloudformation) == (set(TERRAFORM_TYPES), set(CLOUDFORMATION_TYPES))
    assert all(frameworks >= {"tf", "cfn"} for frameworks in seen.values()), seen


def test_list_prints_the_catalog():
    listed = subprocess.run([sys.executable, "-m", "vpce_checks", "list"], capture_output=True, text=True,
                            timeout=120, env=offline_env())
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()[1:]
    assert len(rows) == len(CHECKS)
    for row, check in zip(rows, CHECKS):
        assert row.split()[:3] == [check.id, check.severity, check.category]
        assert f"  {check.title}  ({check.docs_file})" in row


def test_readme_table_rows_agree_with_the_catalog():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Checks\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith(f"| {PREFIX}")]
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    assert [c[0] for c in cells] == [check.id for check in CHECKS]
    for cell, check in zip(cells, CHECKS):
        assert cell[1] == check.severity, check.id
        assert cell[2] == check.title, check.id
        assert cell[-1] == f"[{check.docs_file}]({check.docs_file})", check.id


def test_docs_pages_agree_with_the_catalog():
    for check in CHECKS:
        lines = (ROOT / check.docs_file).read_text(encoding="utf-8").splitlines()
        assert lines[0] == f"# {check.id}: {check.title}"
        assert lines[2].startswith(f"Severity: {check.severity}. "), check.id
    pages = {p.stem for p in (ROOT / "docs").glob(f"{PREFIX}*.md")}
    assert pages == set(BY_ID)


def test_ids_are_written_in_the_catalog_and_check_files_only():
    """A literal check ID in code outside the catalog and the check files is a second source of truth."""
    pattern = re.compile(rf"^{re.escape(PREFIX)}\d+$")
    found = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("checks", *NOT_YET_CATALOGUED) or relative.name == "catalog.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and pattern.match(node.value):
                found.append(f"{relative}:{node.lineno} {node.value}")
    assert found == []


def test_the_engine_knows_no_checkov_and_writes_no_iac_syntax():
    """The engine is pure IAM (issue 11 item 4): no Checkov import, no HCL or YAML; fixes leave it as data and
    vpce_checks/fix_rendering.py writes them in the file's syntax."""
    engine = Path(__file__).resolve().parent.parent / "vpce_checks" / "engine"
    for module in sorted(engine.glob("*.py")):
        text = module.read_text(encoding="utf-8")
        assert "import checkov" not in text and "from checkov" not in text, module.name
        assert "hcl" not in text.lower() and "yaml" not in text.lower(), module.name
