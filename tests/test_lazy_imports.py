"""Checkov imports every check file in each runner process (about 20 per scan) and most never run one: loading
the check files must not load the readers, the judge or the engine's analysis (issue 14, docs/performance.md)."""

import ast
import json
import subprocess
import sys
from pathlib import Path

from vpce_checks.adapters import cloudformation
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

_HEAVY = ("vpce_checks.judge", "vpce_checks.engine.perimeter", "vpce_checks.adapters.terraform.resolution",
          "vpce_checks.adapters.terraform.resources",
          "vpce_checks.adapters.cloudformation.resources", "vpce_checks.adapters.apigateway",
          "vpce_checks.adapters.endpoint", "vpce_checks.adapters.rawjson", "vpce_checks.adapters.organizations",
          "vpce_checks.settings")


def test_loading_the_check_files_loads_no_reader_judge_or_analysis():
    done = subprocess.run([sys.executable, "-c", _LOAD_ALL, checks_path()], capture_output=True, text=True,
                          check=True, env={"PATH": "", "BC_SKIP_MAPPING": "TRUE"})
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "vpce_checks.check_bases" in loaded and "vpce_checks.finders" in loaded
    assert not loaded & set(_HEAVY), sorted(loaded & set(_HEAVY))


_TERRAFORM = Path(__file__).resolve().parent.parent / "vpce_checks" / "adapters" / "terraform"
# Each Terraform layer with the layers over it, which it must not import (issue 12 item 5: graph -> resolution ->
# resources, one way).
_LAYERS_ABOVE = {"graph": ("resolution", "resources", "plan_source"), "resolution": ("resources",),
                 "plan_source": ("resolution", "resources")}


def test_a_terraform_layer_imports_no_layer_over_it():
    """Not at the top and not inside a function (no import deferred to hide a cycle): read from the source."""
    for layer, above in _LAYERS_ABOVE.items():
        tree = ast.parse((_TERRAFORM / f"{layer}.py").read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = ".".join(filter(None, ["vpce_checks.adapters.terraform" if node.level else "", node.module]))
                imported.add(module)
                imported.update(f"{module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        for upper in above:
            assert f"vpce_checks.adapters.terraform.{upper}" not in imported, (layer, upper)


def test_loading_a_terraform_layer_loads_no_layer_over_it():
    for layer, above in _LAYERS_ABOVE.items():
        done = subprocess.run(
            [sys.executable, "-c", f"import sys, vpce_checks.adapters.terraform.{layer}; print(sorted(sys.modules))"],
            capture_output=True, text=True, check=True, env={"PATH": "", "BC_SKIP_MAPPING": "TRUE"})
        loaded = set(ast.literal_eval(done.stdout.strip().splitlines()[-1]))
        assert f"vpce_checks.adapters.terraform.{layer}" in loaded
        assert not {f"vpce_checks.adapters.terraform.{upper}" for upper in above} & loaded, layer


_CLOUDFORMATION = Path(__file__).resolve().parent.parent / "vpce_checks" / "adapters" / "cloudformation"
# Each CloudFormation layer with the layers over it, which it must not import (issue 12 item 5: template ->
# intrinsics -> resources, one way). Only read from the source: the package's __init__ re-exports resources.py's
# entry points, so importing any layer at run time loads them all.
_CFN_LAYERS_ABOVE = {"template": ("intrinsics", "resources"), "intrinsics": ("resources",)}


def _imported_modules(path: Path, package: str) -> set:
    """Every module ``path`` imports, and every name it imports from one: at the top, inside a function or under
    ``if TYPE_CHECKING`` alike (no import deferred to hide a cycle), read from the source."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = ".".join(filter(None, [package if node.level else "", node.module]))
            imported.add(module)
            imported.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    return imported


def test_a_cloudformation_layer_imports_no_layer_over_it():
    """template.py holds the template as written, intrinsics.py renders over it, resources.py links policies to
    what they protect: a lower layer importing a higher one (even in a function) would turn that around."""
    package = "vpce_checks.adapters.cloudformation"
    for layer, above in _CFN_LAYERS_ABOVE.items():
        imported = _imported_modules(_CLOUDFORMATION / f"{layer}.py", package)
        assert imported, layer  # the file was read
        for upper in above:
            assert f"{package}.{upper}" not in imported, (layer, upper)
        # nor a name the package re-exports: importing one runs the package's __init__, which loads resources.py
        reexported = {f"{package}.{name}" for name in cloudformation.__all__}
        assert not imported & reexported, (layer, sorted(imported & reexported))
