"""Release hygiene: the license the metadata names, a changelog entry for the version, `--version`, and a wheel
that ships what the package points users at (the docs pages, the license)."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import zipfile

from tests.checkout_copy import ROOT, copy_checkout
from tests.conftest import offline_env
from vpce_checks import __version__
from vpce_checks.catalog import CHECKS
from vpce_checks.reporting import code_span, markdown_summary


def test_license_is_the_apache_2_0_text_the_metadata_names():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["metadata"]["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_changelog_has_an_entry_for_the_current_version_newest_first():
    headings = re.findall(r"^## (\d+\.\d+\.\d+)\b", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    assert headings and headings[0] == __version__
    versions = [tuple(int(p) for p in v.split(".")) for v in headings]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)


def test_version_option():
    completed = subprocess.run([sys.executable, "-m", "vpce_checks", "--version"], capture_output=True, text=True,
                               timeout=120, env=offline_env())
    assert completed.returncode == 0 and completed.stdout.strip() == f"vpce-checks {__version__}"


def test_wheel_ships_docs_pages_and_license(tmp_path):
    source = copy_checkout(tmp_path / "src")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                            "-w", str(tmp_path / "dist"), str(source)], capture_output=True, text=True, timeout=600,
                           env=offline_env({"PIP_DISABLE_PIP_VERSION_CHECK": "1"}))
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("vpce_checks-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for check in CHECKS:
        assert f"vpce_checks/{check.docs_file}" in names, check.id
    assert f"vpce_checks-{__version__}.dist-info/LICENSE" in names or any(
        n.startswith(f"vpce_checks-{__version__}.dist-info/") and n.endswith("/LICENSE") for n in names)
    assert not any(n.startswith(("fixtures/", "tests/")) for n in names)


def test_job_summary_code_spans_carry_names_verbatim():
    assert code_span("aws_s3_bucket_policy.my_bucket") == "`aws_s3_bucket_policy.my_bucket`"
    assert code_span("a`b") == "``a`b``" and code_span("`x") == "`` `x ``"
    row = {"check_id": "CKV_VPCE_1", "resource": "aws_s3_bucket_policy.my_bucket", "file_path": "/infra/main_v2.tf",
           "file_line_range": [3, 9], "check_result": {"result": "FAILED"},
           "details": ["Reason: the policy has no Deny statement"]}
    summary = markdown_summary([row], not_judged=[{"file": "infra/bad_policy.json", "reason": "not valid JSON"}])
    assert "#### CKV_VPCE_1 · `aws_s3_bucket_policy.my_bucket`" in summary
    header = next(line for line in summary.splitlines() if line.startswith("#### "))
    assert "\\" not in header
    assert "- `infra/bad_policy.json`: not valid JSON" in summary
    assert summary.splitlines()[0].endswith(", 1 not judged")
