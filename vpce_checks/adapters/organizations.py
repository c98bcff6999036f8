"""Organisation policies (RCPs and SCPs) from the scanned files -> ``OrgPolicySource``.

- Terraform: ``aws_organizations_policy`` (``type`` RESOURCE_CONTROL_POLICY or SERVICE_CONTROL_POLICY, the
  provider's default being SERVICE_CONTROL_POLICY; ``content`` from ``jsonencode``, a heredoc, a
  ``data "aws_iam_policy_document"`` or ``file()``, read by the Terraform adapter) and the
  ``aws_organizations_policy_attachment`` resources whose ``policy_id`` refers to it (their ``target_id``).
- CloudFormation: ``AWS::Organizations::Policy`` (``Type``, ``Content`` as an object or a JSON string,
  ``TargetIds``, ``Name``).
- Raw JSON: a file whose path matches ``VPCE_CHECKS_ORG_POLICY_GLOB`` (same pattern rules as the endpoint-policy
  glob), or a document that cannot be a resource policy: Deny statements only, with ``Principal: "*"`` and
  ``Resource: "*"``, whose actions name several services. Such a file is an RCP when its statements carry a
  Principal element (RCP syntax) and an SCP when none does (SCPs have no Principal). It is never judged as the
  policy of a resource named after the file.

Which policies apply to a resource is decided in ``applicable_layers`` (docs/CKV_VPCE_10.md, "Layers").
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from vpce_checks.adapters.bindings import (
    CFN_ORG_POLICY_RESOURCES,
    TERRAFORM_ORG_ATTACHMENT_RESOURCE,
    TERRAFORM_ORG_POLICY_RESOURCES,
)
from vpce_checks.adapters.bounded_documents import DocumentTooLarge, load_json
from vpce_checks.engine.layers import RCP, SCP

TERRAFORM_POLICY = TERRAFORM_ORG_POLICY_RESOURCES[0]
TERRAFORM_ATTACHMENT = TERRAFORM_ORG_ATTACHMENT_RESOURCE
CFN_POLICY = CFN_ORG_POLICY_RESOURCES[0]
ORG_POLICY_TYPES = (RCP, SCP)
GLOB_SETTING = "VPCE_CHECKS_ORG_POLICY_GLOB"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_POLICY_REFERENCE = re.compile(r"aws_organizations_policy\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[[^\]]*\])?\.id")


@dataclass
class OrgPolicySource:
    """One organisation policy as found in a file.

    ``kind`` is RCP or SCP, or the type as written when it is neither (a tag or backup policy: no result).
    ``targets`` are the attachment targets as written: ``r-...`` roots, ``ou-...`` OUs, 12-digit accounts, or an
    unresolved ``${...}`` reference. ``names``: every name the APPLIED_ORG_POLICIES setting may use for it.
    """

    name: str  # how messages name it: "aws_organizations_policy.perimeter", "AWS::Organizations::Policy Rcp"
    kind: str
    syntax: str  # the file's syntax for fixes: "hcl", "yaml", "cfn-json", "json"
    document: Optional[Any] = None
    problem: Optional[str] = None
    origin: str = ""
    targets: List[str] = field(default_factory=list)
    names: Tuple[str, ...] = ()
    data_source: bool = False  # Terraform content from a data "aws_iam_policy_document" (fix: a statement block)
    evaluated_keys: List[str] = field(default_factory=list)
    resource_key: str = ""


def kind_of_type(value: Any) -> str:
    """RCP or SCP from a written type; SCP when unset (the Terraform provider's default)."""
    if value is None or value == "":
        return SCP
    return str(value).strip().upper()


def target_kind(target: str) -> str:
    """What an attachment target names: "root", "ou", "account", or "unknown" (an unresolved reference)."""
    text = target.strip()
    if text.startswith("r-") or ".roots" in text:
        return "root"
    if text.startswith("ou-") or "aws_organizations_organizational_unit." in text:
        return "ou"
    if _ACCOUNT_ID.match(text):
        return "account"
    return "unknown"


# --------------------------------------------------------------------------------------------------------------
# Terraform
# --------------------------------------------------------------------------------------------------------------


def _attachment_targets(graph: object | None, policy_base: str) -> List[str]:
    from vpce_checks.adapters.terraform import graph as tf_graph

    targets = []
    for _address, attrs in tf_graph.graph_resources(graph, [TERRAFORM_ATTACHMENT]):
        pointer = tf_graph.unwrap(attrs.get("policy_id"))
        match = _POLICY_REFERENCE.search(pointer) if isinstance(pointer, str) else None
        if match is None or match.group(1) != policy_base:
            continue
        target = tf_graph.unwrap(attrs.get("target_id"))
        if isinstance(target, str) and target:
            targets.append(target[2:-1] if target.startswith("${") and target.endswith("}") else target)
    return targets


def org_policy_for_terraform(conf: dict, entity_type: str, graph: object | None,
                             file_path: str) -> Optional[OrgPolicySource]:
    """The organisation policy an ``aws_organizations_policy`` declares, with its attachments' targets; None for
    other types. Never raises: anything unreadable becomes ``problem``."""
    if entity_type != TERRAFORM_POLICY:
        return None
    from vpce_checks.adapters.terraform import graph as tf_graph
    from vpce_checks.adapters.terraform import resources as tf_resources

    address = entity_type
    source = OrgPolicySource(name=address, kind=SCP, syntax="hcl", evaluated_keys=["content"])
    try:
        conf = conf if isinstance(conf, Mapping) else {}
        address = tf_resources.address_of(conf, entity_type)
        source.name = address
        written_type = tf_graph.unwrap(conf.get("type"))
        source.kind = kind_of_type(written_type)
        written_name = tf_graph.unwrap(conf.get("name"))
        base = address.split(".")[-1].split("[", 1)[0]
        source.names = tuple(dict.fromkeys(n for n in (address, f"{TERRAFORM_POLICY}.{base}", written_name)
                                           if isinstance(n, str) and n))
        source.targets = _attachment_targets(graph, base)
        content = conf.get("content")
        if tf_graph.unwrap(content) in (None, ""):
            source.problem = f"{address} has no content"
            return source
        source.document, source.problem, source.origin = tf_resources.resolve_policy_value(
            content, address, entity_type, graph, file_path, f"content of {address}")
        source.data_source = "aws_iam_policy_document" in source.origin
        return source
    except Exception as error:  # noqa: BLE001 - a check must never raise (SPEC 4)
        source.problem = f"could not read the content of {address} ({type(error).__name__}: {error})"
        return source


def terraform_org_policies(graph: object | None, file_path: str) -> List[OrgPolicySource]:
    """Every organisation policy of the scanned Terraform graph (for the resource checks' layers)."""
    from vpce_checks.adapters.terraform import graph as tf_graph

    found = []
    for address, attrs in tf_graph.graph_resources(graph, [TERRAFORM_POLICY]):
        conf = {key: [value] for key, value in attrs.items()}
        conf["__address__"] = address
        source = org_policy_for_terraform(conf, TERRAFORM_POLICY, graph, str(attrs.get("file_path_") or file_path))
        if source is not None:
            found.append(source)
    return found


# --------------------------------------------------------------------------------------------------------------
# CloudFormation
# --------------------------------------------------------------------------------------------------------------


def _cfn_source(resource: Any, syntax: str) -> OrgPolicySource:
    label = f"{CFN_POLICY} {resource.logical_id}"
    source = OrgPolicySource(name=label, kind=SCP, syntax="yaml" if syntax == "yaml" else "cfn-json",
                             evaluated_keys=["Properties/Content"], origin=f"Content of {label}")
    written_type, problem = resource.rendered("Type")
    if problem or (written_type is not None and not isinstance(written_type, str)):
        source.problem = f"{label}: cannot read Type ({problem or written_type!r})"
        return source
    source.kind = kind_of_type(written_type) if written_type is not None else ""
    if written_type is None:
        source.problem = f"{label}: Type is required (RESOURCE_CONTROL_POLICY or SERVICE_CONTROL_POLICY)"
        return source
    written_name, _ = resource.rendered("Name")
    source.names = tuple(n for n in (resource.logical_id, written_name) if isinstance(n, str) and n)
    targets, problem = resource.rendered("TargetIds")
    if isinstance(targets, list):
        source.targets = [t for t in targets if isinstance(t, str)]
    document, problem = resource.rendered("Content")
    if problem:
        source.problem = f"{source.origin}: {problem}"
        return source
    if isinstance(document, str):
        try:
            document = load_json(document)
        except DocumentTooLarge as error:
            source.problem = f"{source.origin}: Content is a JSON string past the scan's bounds: {error}"
            return source
        except ValueError as error:
            source.problem = f"{source.origin}: Content is a string that is not JSON ({error})"
            return source
    if not isinstance(document, dict):
        source.problem = f"{source.origin}: Content must be a JSON object"
        return source
    source.document = document
    return source


def org_policy_for_cloudformation(conf: dict, entity_type: str, file_path: str,
                                  logical_id: Optional[str]) -> Optional[OrgPolicySource]:
    """The ``AWS::Organizations::Policy`` being checked; None for other types. Never raises."""
    if entity_type != CFN_POLICY:
        return None
    label = f"{CFN_POLICY} {logical_id or '(unknown logical ID)'}"
    try:
        from vpce_checks.adapters.cloudformation import resources as cfn

        syntax, resources = cfn.template_resources(conf, file_path, CFN_POLICY)
        mine = next((r for r in resources if r.logical_id == logical_id), None)
        if mine is None or syntax is None:
            return OrgPolicySource(name=label, kind="", syntax="yaml", evaluated_keys=["Properties/Content"],
                                   problem=f"{label}: could not read the template {file_path!r}")
        return _cfn_source(mine, syntax)
    except Exception as error:  # noqa: BLE001 - a check must never raise
        return OrgPolicySource(name=label, kind="", syntax="yaml", evaluated_keys=["Properties/Content"],
                               problem=f"{label}: could not read the resource ({type(error).__name__}: {error})")


def cloudformation_org_policies(conf: Any, file_path: str) -> List[OrgPolicySource]:
    """Every organisation policy of the template holding ``conf`` (for the resource checks' layers)."""
    from vpce_checks.adapters.cloudformation import resources as cfn

    syntax, resources = cfn.template_resources(conf, file_path, CFN_POLICY)
    return [_cfn_source(resource, syntax or "yaml") for resource in resources]


# --------------------------------------------------------------------------------------------------------------
# Raw JSON
# --------------------------------------------------------------------------------------------------------------


def _glob_setting() -> Optional[str]:
    from vpce_checks.settings import SettingsError, cached_settings

    found = cached_settings()
    return None if isinstance(found, SettingsError) else found.org_policy_glob


def is_org_policy_file(file_path: str) -> bool:
    """True when VPCE_CHECKS_ORG_POLICY_GLOB names this file as an RCP or SCP document."""
    from vpce_checks.adapters.endpoint import matches_endpoint_glob  # the same pattern rules

    try:
        return matches_endpoint_glob(file_path, _glob_setting())
    except Exception:  # noqa: BLE001 - never raise from a check
        return False


def _get(mapping: Mapping[str, Any], name: str) -> Any:
    return next((v for k, v in mapping.items() if isinstance(k, str) and k.lower() == name.lower()), None)


def _statements(document: Any) -> List[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        return []
    raw = _get(document, "Statement")
    items = raw if isinstance(raw, list) else [raw]
    return [item for item in items if isinstance(item, Mapping)]


def _strings(value: Any) -> List[str]:
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]


def looks_like_org_policy(document: Any) -> bool:
    """A document that cannot be a resource policy: every statement a Deny with ``Principal: "*"`` on
    ``Resource: "*"``, and actions (Action or NotAction) of more than one service. A resource policy guards one
    resource of one service; a document naming resources of several is judged per service, as before."""
    statements = _statements(document)
    if not statements:
        return False
    for statement in statements:
        if str(_get(statement, "Effect") or "").strip() != "Deny" or _get(statement, "Principal") != "*":
            return False
        resources = _strings(_get(statement, "Resource"))
        if not resources or any(r.strip() != "*" for r in resources):
            return False  # a statement naming resources reads as a resource policy (judged per service)
    services = {a.split(":", 1)[0].strip().lower() for s in statements
                for a in _strings(_get(s, "Action")) + _strings(_get(s, "NotAction")) if ":" in a}
    return len(services) > 1


def org_policy_for_json(document: object, file_path: str) -> Optional[OrgPolicySource]:
    """A raw JSON organisation policy (named by the glob setting, or by its shape); None for other files."""
    try:
        named = is_org_policy_file(file_path)
        if not named and not looks_like_org_policy(document):
            return None
        if not isinstance(document, Mapping) or _get(document, "Statement") is None:
            return None
        from vpce_checks.adapters.rawjson import plain_document

        name = os.path.basename(file_path) if file_path else "policy.json"
        statements = _statements(document)
        has_principal = any(_get(s, "Principal") is not None or _get(s, "NotPrincipal") is not None
                            for s in statements)
        key = next(k for k in document if isinstance(k, str) and k.lower() == "statement")
        return OrgPolicySource(name=f"file {name}", kind=RCP if has_principal else SCP, syntax="json",
                               document=plain_document(document), origin=f"file {name}",
                               names=(name, os.path.splitext(name)[0]), evaluated_keys=[key])
    except Exception as error:  # noqa: BLE001 - never raise from a check
        return OrgPolicySource(name=f"file {file_path}", kind=RCP, syntax="json",
                               problem=f"could not read {file_path} ({type(error).__name__}: {error})")


# --------------------------------------------------------------------------------------------------------------
# Which layers apply to a resource
# --------------------------------------------------------------------------------------------------------------


def applicable_layers(policies: Sequence[OrgPolicySource], resource_account: str, member_accounts: bool,
                      applied_names: Sequence[str]) -> Tuple[List[Tuple[OrgPolicySource, str]], List[str]]:
    """The organisation policies that apply to a resource, each with why; and notes on those that do not.

    A policy applies when the APPLIED_ORG_POLICIES setting names it, or when an attachment targets the
    organisation root, an OU, or the resource's literal account ID and VPCE_CHECKS_MEMBER_ACCOUNTS=true says the
    scanned resources live in member accounts under those targets: RCPs and SCPs never apply in the management
    account, and nothing in a repository shows where a resource is deployed. An attachment alone credits nothing.
    """
    applied: List[Tuple[OrgPolicySource, str]] = []
    notes: List[str] = []
    wanted = set(applied_names)
    for source in policies:
        if source.kind not in ORG_POLICY_TYPES:
            continue
        label = f"{'RCP' if source.kind == RCP else 'SCP'} {source.name}"
        named = next((n for n in source.names if n in wanted), None)
        if named is not None:
            applied.append((source, f"VPCE_CHECKS_APPLIED_ORG_POLICIES names {named}"))
            continue
        kinds = {target: target_kind(target) for target in source.targets}
        reaching = [t for t, k in kinds.items() if k in ("root", "ou") or (k == "account" and t == resource_account)]
        if reaching and member_accounts:
            applied.append((source, f"attached to {', '.join(reaching)} and VPCE_CHECKS_MEMBER_ACCOUNTS=true (the "
                                    "resource lives in a member account under that target)"))
        elif reaching:
            notes.append(f"{label} is attached to {', '.join(reaching)} but not credited: RCPs and SCPs never apply "
                         "in the management account; set VPCE_CHECKS_MEMBER_ACCOUNTS=true if the scanned resources "
                         "live in member accounts under that target, or name it in VPCE_CHECKS_APPLIED_ORG_POLICIES")
        elif source.targets:
            notes.append(f"{label} is attached to {', '.join(source.targets)}, which is not known to hold this "
                         "resource's account: not credited")
    return applied, notes


def policies_by_name(policies: Sequence[OrgPolicySource]) -> Dict[str, OrgPolicySource]:
    """Every name a policy may be named by -> the policy."""
    return {name: source for source in policies for name in source.names}


_TERRAFORM_CACHE: List[Tuple[object, int, Any]] = []


# Raw JSON: the files of the scan that VPCE_CHECKS_APPLIED_ORG_POLICIES names, read once per scan.
_JSON_ROOTS: Dict[Tuple[Tuple[str, ...], Tuple[str, ...]], List[OrgPolicySource]] = {}
MAX_WALKED_FILES = 20_000  # the walk of a scan root for the named files stops here (and says so)
_SKIPPED_DIRS = {".git", ".terraform", "node_modules", ".venv", "__pycache__"}


def scan_targets(argv: Sequence[str], file_path: str) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """(folders, files) the running Checkov scans, from its command line (-d/--directory, -f/--file; each
    runner process keeps it); the scanned file's own folder when the command line names none."""
    folders: List[str] = []
    files: List[str] = []
    items = list(argv)
    for index, item in enumerate(items):
        for flag, into in (("-d", folders), ("--directory", folders), ("-f", files), ("--file", files)):
            if item == flag:
                into.extend(v for v in items[index + 1:index + 2] if not v.startswith("-"))
            elif item.startswith(flag + "="):
                into.append(item.split("=", 1)[1])
    if not folders and not files and file_path:
        folders.append(os.path.dirname(os.path.abspath(file_path)))
    return (tuple(sorted({os.path.abspath(f) for f in folders if os.path.isdir(f)})),
            tuple(sorted({os.path.abspath(f) for f in files if os.path.isfile(f)})))


def json_org_policies(file_path: str, names: Sequence[str]) -> List[OrgPolicySource]:
    """The raw JSON organisation policies of the same scan that the setting names (by file name, or name without
    .json): the scanned folders are walked for those names only, and each file is read as CKV_VPCE_10 reads it
    (VPCE_CHECKS_ORG_POLICY_GLOB or the Deny-only multi-service shape). A named file that is no organisation
    policy is left out, and the resource's Layers line says the name is not declared in the scan."""
    import sys

    folders, files = scan_targets(sys.argv[1:], file_path)
    wanted = tuple(sorted(set(names)))
    if not wanted or not (folders or files):
        return []
    key = (folders + ("|",) + files, wanted)
    if key not in _JSON_ROOTS:
        paths = [f for f in files if _named(os.path.basename(f), set(wanted))]
        found: List[OrgPolicySource] = []
        for folder in folders:
            found += _walk_for_org_policies(folder, set(wanted))
        found += [source for source in (_read_org_policy(path) for path in paths) if source is not None]
        _JSON_ROOTS[key] = found
    return _JSON_ROOTS[key]


def _named(file_name: str, wanted: set) -> bool:
    return file_name.lower().endswith(".json") and (file_name in wanted or os.path.splitext(file_name)[0] in wanted)


def _read_org_policy(path: str) -> Optional[OrgPolicySource]:
    try:
        if os.path.islink(path) or not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            document = load_json(handle.read(1_048_577).decode("utf-8", errors="replace"))
    except (OSError, ValueError, DocumentTooLarge):
        return None  # CKV_VPCE_10 and the scan's "not judged" list report a file that does not read
    source = org_policy_for_json(document, os.path.relpath(path))
    return source if source is not None and source.document is not None else None


def _walk_for_org_policies(root: str, wanted: set) -> List[OrgPolicySource]:
    found: List[OrgPolicySource] = []
    walked = 0
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIPPED_DIRS)
        for name in sorted(files):
            walked += 1
            if walked > MAX_WALKED_FILES:
                found.append(OrgPolicySource(name=f"files under {root}", kind=RCP, syntax="json", problem=(
                    f"the walk of {root} for the organisation policies VPCE_CHECKS_APPLIED_ORG_POLICIES names "
                    f"stopped after {MAX_WALKED_FILES:,} files")))
                return found
            if _named(name, wanted):
                source = _read_org_policy(os.path.join(directory, name))
                if source is not None:
                    found.append(source)
    return found


def org_policies_for_check(check: Any, conf: Any) -> List[OrgPolicySource]:
    """The organisation policies a resource check can see: every one of the Terraform graph (built once per
    graph), or of the CloudFormation template holding the resource; for raw JSON, the files of the same scan
    that VPCE_CHECKS_APPLIED_ORG_POLICIES names (raw JSON has no attachments)."""
    from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck as CfnCheck
    from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck as TerraformCheck

    from vpce_checks.checkov_glue import scanned_file

    file_path = scanned_file(check)
    if isinstance(check, TerraformCheck):
        graph = getattr(check, "graph", None)
        if graph is None:
            return []
        from vpce_checks.adapters.terraform import graph as tf_graph

        return tf_graph.per_graph(_TERRAFORM_CACHE, graph, lambda: terraform_org_policies(graph, file_path))
    if isinstance(check, CfnCheck):
        return cloudformation_org_policies(conf, file_path)
    from vpce_checks.settings import SettingsError, cached_settings

    settings = cached_settings()
    if isinstance(settings, SettingsError) or not settings.applied_org_policies:
        return []
    return json_org_policies(file_path, settings.applied_org_policies)
