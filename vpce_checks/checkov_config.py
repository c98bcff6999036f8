"""Checkov's config file (``.checkov.yaml``, ``--config-file FILE``) as `vpce-checks scan` sees it.

Checkov reads the file itself, so options that `scan` passes through (``soft-fail``, ``skip-check``,
``hard-fail-on``, ``skip-path``, ...) take effect as they are. `scan` sets some options on Checkov's command
line, which wins over the file, and so reads those from the file itself: the paths (``directory``, ``file``) when
none is given, the output formats (``output``), where they go (``output-file-path``) and ``quiet``. It always
runs the pack's checks alone, so the file's ``check``, ``framework`` and ``external-checks-dir`` do not apply.

Files are the ones Checkov reads, in its order (checkov/common/util/config_utils.py and configargparse: a later
file wins over an earlier one, ``--config-file`` over all): ``.checkov.yaml``/``.checkov.yml`` in each scanned
folder, in the current folder and in the home folder, then ``--config-file``. The pack's own settings
(VPCE_CHECKS_*) cannot go in this file, since Checkov refuses keys it does not know: they go in a file beside it
named by VPCE_CHECKS_CONFIG or ``scan --settings`` (docs/pipelines.md).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Union

if TYPE_CHECKING:
    from vpce_checks.scanner import ScanRequest

ConfigValue = Union[str, bool, int, float, List[str], None]


class ConfigFileError(ValueError):
    """A config file `scan` cannot read; the message names the file."""


def _option_value(args: Sequence[str], name: str) -> Optional[str]:
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1:]
    return None


def config_files(checkov_args: Sequence[str], targets: Sequence[str]) -> List[str]:
    """The config files Checkov will read for this scan, lowest precedence first; an explicit one must exist."""
    from checkov.common.util.config_utils import get_default_config_paths

    folders = [arg for target in targets if os.path.isdir(target) for arg in ("-d", target)]
    defaults = get_default_config_paths(folders)
    found = list(reversed([path for path in defaults if os.path.isfile(path)]))  # Checkov's list: highest first
    explicit = _option_value(checkov_args, "--config-file")
    if explicit:
        if not os.path.isfile(explicit):
            raise ConfigFileError(f"--config-file {explicit}: no such file")
        found.append(explicit)
    return list(dict.fromkeys(found))


def read_config_file(path: str) -> Dict[str, ConfigValue]:
    """One config file's options, keyed by Checkov's long option names without the dashes."""
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except OSError as error:
        raise ConfigFileError(f"{path}: cannot read the file ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ConfigFileError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: expected a mapping of Checkov options")
    return {str(key): value for key, value in data.items()}


def _as_list(value: ConfigValue) -> List[str]:
    if value is None or value is False:
        return []
    if isinstance(value, list):
        return [str(item) for item in value if str(item).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _is_true(value: ConfigValue) -> bool:
    return value is True or str(value).strip().lower() in ("true", "yes", "1")


def apply_config_files(request: ScanRequest) -> List[str]:
    """Fill what the request leaves open from the config files Checkov will read; returns the files read."""
    paths = config_files(request.checkov_args, request.targets)
    merged: Dict[str, ConfigValue] = {}
    for path in paths:
        merged.update(read_config_file(path))
    if not request.targets:
        request.targets = _as_list(merged.get("directory")) + _as_list(merged.get("file"))
    if not request.formats:
        request.formats = _as_list(merged.get("output"))
    if request.output_file_path is None and merged.get("output-file-path"):
        request.output_file_path = str(merged["output-file-path"])
    if _is_true(merged.get("quiet")):
        request.quiet = True
    return paths
