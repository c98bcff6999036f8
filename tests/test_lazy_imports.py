"""Checkov imports every check file in each runner process (about 20 per scan) and most never run one: loading
the check files must not load the readers, the judge or the engine's analysis (issue 14, docs/performance.md)."""

import json
import subprocess
import sys

from vpce_checks.scanner import checks_path

_LOAD_ALL = """
import importlib.util, json, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).glob("vpce_*.py")):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # as Checkov loads --external-checks-dir files
    assert module.check.id.startswith("CKV_VPCE_")
print(json.dumps(sorted(name for name in sys.modules if name.startswith("vpce_checks"))))
"""

_HEAVY = ("vpce_checks.judge", "vpce_checks.engine.perimeter", "vpce_checks.adapters.terraform.reader",
          "vpce_checks.adapters.cloudformation.reader", "vpce_checks.adapters.apigateway",
          "vpce_checks.adapters.endpoint", "vpce_checks.adapters.rawjson", "vpce_checks.adapters.organizations",
          "vpce_checks.settings")


def test_loading_the_check_files_loads_no_reader_judge_or_analysis():
    done = subprocess.run([sys.executable, "-c", _LOAD_ALL, checks_path()], capture_output=True, text=True,
                          check=True, env={"PATH": "", "BC_SKIP_MAPPING": "TRUE"})
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "vpce_checks.check_bases" in loaded and "vpce_checks.finders" in loaded
    assert not loaded & set(_HEAVY), sorted(loaded & set(_HEAVY))
