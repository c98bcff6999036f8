"""Settings (SPEC section 6): environment variables, or the same keys in a YAML or TOML file named by
VPCE_CHECKS_CONFIG. Read lazily and never at import: Checkov drops a check module that raises while loading and
the scan would go silently green. A bad value becomes a SettingsError that every pack check reports as FAILED.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Mapping, Optional, Tuple, Union

if TYPE_CHECKING:
    from vpce_checks.engine.perimeter import AnalysisOptions


def _perimeter_keys() -> Tuple[str, ...]:
    """The engine's perimeter keys, imported on use: check files read the repository URL at import (issue 14)."""
    from vpce_checks.engine.services import PERIMETER_KEYS

    return PERIMETER_KEYS

PREFIX = "VPCE_CHECKS_"
KNOWN = (
    "ALLOWED_VPCE_IDS", "ALLOWED_VPC_IDS", "PERIMETER_KEYS", "ACCEPTED_EXEMPTIONS", "ALLOWED_SOURCE_CIDRS",
    "UNRESOLVED", "MISSING_POLICY", "ENDPOINT_POLICY_GLOB", "REPOSITORY_URL", "ORG_POLICY_GLOB", "MEMBER_ACCOUNTS",
    "APPLIED_ORG_POLICIES",
)


class SettingsError(ValueError):
    """A setting has a value the pack cannot use; the message names the setting and the accepted values."""


@dataclass(frozen=True)
class Settings:
    allowed_vpce_ids: Tuple[str, ...] = ()
    allowed_vpc_ids: Tuple[str, ...] = ()
    perimeter_keys: FrozenSet[str] = field(default_factory=lambda: frozenset(_perimeter_keys()))
    accepted_exemptions: FrozenSet[str] = frozenset()
    allowed_source_cidrs: Tuple[str, ...] = ()
    unresolved: str = "fail"
    missing_policy: str = "fail"
    endpoint_policy_glob: Optional[str] = None
    repository_url: Optional[str] = None  # where the docs pages live on the web (SARIF helpUri, Checkov guideline)
    # Organisation layers (docs/CKV_VPCE_10.md): raw JSON RCP/SCP files; the user's word that the scanned resources
    # live in member accounts under the attachments' targets; the RCP/SCP names that apply to every resource.
    org_policy_glob: Optional[str] = None
    member_accounts: bool = False
    applied_org_policies: Tuple[str, ...] = ()
    source: Dict[str, str] = field(default_factory=dict, compare=False)

    def analysis_options(self) -> AnalysisOptions:
        from vpce_checks.engine.perimeter import AnalysisOptions

        return AnalysisOptions(perimeter_keys=self.perimeter_keys, accepted_exemptions=self.accepted_exemptions,
                               allowed_source_cidrs=self.allowed_source_cidrs)


def _items(value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def _choice(name: str, value: Any, choices: Tuple[str, ...], default: str) -> str:
    if value is None or str(value).strip() == "":
        return default
    text = str(value).strip().lower()
    if text not in choices:
        raise SettingsError(f"{PREFIX}{name}={value!r}: expected one of {', '.join(choices)}")
    return text


def _read_file(path: str) -> Dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise SettingsError(f"VPCE_CHECKS_CONFIG={path!r}: cannot read the file ({error.strerror})") from None
    try:
        if path.lower().endswith(".toml"):
            try:
                import tomllib  # type: ignore[import-not-found]
            except ImportError:  # Python < 3.11
                import tomli as tomllib  # type: ignore[import-not-found,no-redef]
            data = tomllib.loads(raw.decode("utf-8"))
        else:
            import yaml

            data = yaml.safe_load(raw.decode("utf-8")) or {}
    except ImportError:
        raise SettingsError("VPCE_CHECKS_CONFIG: reading TOML on Python < 3.11 needs the 'tomli' package") from None
    except Exception as error:  # a parse error of either format
        raise SettingsError(f"VPCE_CHECKS_CONFIG={path!r}: not valid YAML/TOML ({error})") from None
    if not isinstance(data, dict):
        raise SettingsError(f"VPCE_CHECKS_CONFIG={path!r}: expected a mapping of settings")
    out = {}
    for key, value in data.items():
        name = str(key).upper()
        if name.startswith(PREFIX):
            name = name[len(PREFIX):]
        if name not in KNOWN:
            raise SettingsError(f"VPCE_CHECKS_CONFIG={path!r}: unknown setting {key!r} (known: {', '.join(KNOWN)})")
        out[name] = value
    return out


def _repository_url(value: Any) -> Optional[str]:
    """An http(s) address without spaces, kept without its trailing slash; unset stays None (no invented URL)."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip().rstrip("/")
    if not text.startswith(("https://", "http://")) or any(c.isspace() for c in text) \
            or not text.split("://", 1)[1]:
        raise SettingsError(f"{PREFIX}REPOSITORY_URL={value!r}: expected the repository's https:// address")
    return text


def _flag(name: str, value: Any) -> bool:
    """A yes/no setting: true/false (also yes/no, 1/0); unset is false."""
    if value is None or str(value).strip() == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise SettingsError(f"{PREFIX}{name}={value!r}: expected true or false")


_POLICY_NAME = re.compile(r"^[A-Za-z0-9_.:/+=,@\-]+$")


def _policy_names(value: Any) -> Tuple[str, ...]:
    """Names of organisation policies: each as the scan names it (a Terraform address or `name`, a logical ID or
    `Name`, a file name), no wildcards."""
    names = _items(value)
    for name in names:
        if not _POLICY_NAME.match(name):
            raise SettingsError(f"{PREFIX}APPLIED_ORG_POLICIES: {name!r} is not a policy name (give Terraform "
                                "addresses or names, CloudFormation logical IDs or Names, or file names, comma-"
                                "separated, without wildcards)")
    return names


def load_settings(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """The settings in force; environment variables win over the config file."""
    env = os.environ if environ is None else environ
    raw: Dict[str, Any] = {}
    config = env.get(PREFIX + "CONFIG")
    if config:
        raw.update(_read_file(config))
    for name in KNOWN:
        if PREFIX + name in env:
            raw[name] = env[PREFIX + name]
    keys_value = raw.get("PERIMETER_KEYS")
    keys_text = ",".join(_items(keys_value)).lower()
    if not keys_text or keys_text == "all":
        perimeter_keys = frozenset(_perimeter_keys())
    elif keys_text == "endpoint":
        perimeter_keys = frozenset({"aws:sourcevpce"})
    else:
        perimeter_keys = frozenset(_items(keys_text))
        unknown = sorted(perimeter_keys - set(_perimeter_keys()))
        if unknown:
            raise SettingsError(f"{PREFIX}PERIMETER_KEYS: {', '.join(unknown)} cannot form a perimeter "
                                f"(use all, endpoint, or a list of {', '.join(_perimeter_keys())})")
    cidrs = _items(raw.get("ALLOWED_SOURCE_CIDRS"))
    for cidr in cidrs:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise SettingsError(f"{PREFIX}ALLOWED_SOURCE_CIDRS: {cidr!r} is not a CIDR") from None
    return Settings(
        allowed_vpce_ids=_items(raw.get("ALLOWED_VPCE_IDS")),
        allowed_vpc_ids=_items(raw.get("ALLOWED_VPC_IDS")),
        perimeter_keys=perimeter_keys,
        accepted_exemptions=frozenset(k.lower() for k in _items(raw.get("ACCEPTED_EXEMPTIONS"))),
        allowed_source_cidrs=cidrs,
        unresolved=_choice("UNRESOLVED", raw.get("UNRESOLVED"), ("fail", "skip"), "fail"),
        missing_policy=_choice("MISSING_POLICY", raw.get("MISSING_POLICY"), ("fail", "skip"), "fail"),
        endpoint_policy_glob=str(raw["ENDPOINT_POLICY_GLOB"]) if raw.get("ENDPOINT_POLICY_GLOB") else None,
        repository_url=_repository_url(raw.get("REPOSITORY_URL")),
        org_policy_glob=str(raw["ORG_POLICY_GLOB"]).strip() if raw.get("ORG_POLICY_GLOB") else None,
        member_accounts=_flag("MEMBER_ACCOUNTS", raw.get("MEMBER_ACCOUNTS")),
        applied_org_policies=_policy_names(raw.get("APPLIED_ORG_POLICIES")),
        source={k: str(v) for k, v in raw.items()},
    )


_CACHE: List[Tuple[Any, Union[Settings, SettingsError]]] = []


def cached_settings(environ: Optional[Mapping[str, str]] = None) -> Union[Settings, SettingsError]:
    """The settings (or the error), read again only when a VPCE_CHECKS_ variable or the config file changes: every
    check call asks, and reading the file each time showed in the profile."""
    env = os.environ if environ is None else environ
    raw = getattr(env, "_data", None) if env is os.environ and os.supports_bytes_environ else None
    if isinstance(raw, dict):  # os.environ's own bytes: only the pack's variables are decoded (a hot path)
        prefix = os.fsencode(PREFIX)
        variables = tuple(sorted((os.fsdecode(k), os.fsdecode(v)) for k, v in raw.items()
                                 if isinstance(k, bytes) and k.startswith(prefix)))
    else:
        variables = tuple(sorted((k, v) for k, v in env.items() if k.startswith(PREFIX)))
    config = env.get(PREFIX + "CONFIG")
    try:
        stamp = os.stat(config).st_mtime_ns if config else None
    except OSError:
        stamp = None
    key = (variables, stamp)
    if _CACHE and _CACHE[0][0] == key:
        return _CACHE[0][1]
    try:
        found: Union[Settings, SettingsError] = load_settings(env)
    except SettingsError as error:
        found = error
    _CACHE[:] = [(key, found)]
    return found
