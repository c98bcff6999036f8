"""Raw JSON adapter: a resource-policy JSON file -> one ``PolicySource`` per profiled service it governs.

How Checkov 3.3.x runs a raw JSON check (measured; see tests/test_adapter_rawjson.py). Subclass
``checkov.json_doc.base_json_check.BaseJsonCheck`` with ``supported_entities=["*"]`` and
``block_type=BlockType.DOCUMENT`` (``checkov.json_doc.enums``); the check is then called once per ``*.json`` file
through ``scan_entity_conf(conf, entity_type)`` with:

- ``conf``: the whole parsed document -- a ``DictNode`` (a dict subclass), a ``ListNode`` for a top-level array,
  even a bare ``str``/number for a scalar document. Unlike CloudFormation, there are no ``__startline__`` /
  ``__file__`` keys: lines live on the node objects (``start_mark``/``end_mark``). Invalid JSON never reaches a
  check (a parsing error instead).
- ``entity_type`` is ``"*"``; ``self.entity_path`` is ``f"{file}:*:{file}"`` where ``file`` is the path as Checkov
  opened it (the ``-d`` root joined with the relative path, e.g. ``infra/bucket.json``, or absolute).
- In the report the resource is ``f"{file}.*.{file}.{CHECK_ID}"`` and ``file_path`` is ``/`` plus the path
  relative to the root; ``evaluated_keys`` (one key) narrows the code block and line range to that key's value.
  ``details`` are not passed through and the json runner only runs when external checks are given.

The json runner hands a check *every* ``.json`` file: CloudFormation templates, Terraform plan JSON,
``package.json``, ``tsconfig.json``, arrays, scalars. ``sources_for_json`` returns ``[]`` for all of them (they have
no top-level ``Statement`` with a principal), and for identity and trust policies.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from vpce_checks.adapters.base import PolicySource
from vpce_checks.engine.matching import witness
from vpce_checks.engine.model import THIS_ACCOUNT, THIS_REGION
from vpce_checks.engine.services import PROFILES, Target, service_of_arn

_WILDCARD = ("*", "?", "$")  # "$": a policy variable such as ${aws:username} is no concrete value either


def _get(mapping: Mapping[str, Any], name: str) -> Any:
    """IAM element names are matched case-insensitively, as the engine's parser does."""
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() == name.lower():
            return value
    return None


def _strings(value: Any) -> List[str]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, str)]


def plain_document(value: Any) -> Any:
    """Checkov's DictNode/ListNode -> plain dicts and lists (the engine gets a plain IAM JSON document)."""
    if isinstance(value, Mapping):
        return {str(key): plain_document(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_document(item) for item in value]
    if isinstance(value, str):
        return str(value)  # Checkov's str_node -> str
    return value




def _statements(document: Mapping[str, Any]) -> Tuple[Optional[str], List[Mapping[str, Any]]]:
    for key, value in document.items():
        if isinstance(key, str) and key.lower() == "statement":
            items = value if isinstance(value, list) else [value]
            return key, [item for item in items if isinstance(item, Mapping)]
    return None, []


def _is_trust_policy(statements: List[Mapping[str, Any]]) -> bool:
    """Every action is an STS action (sts:AssumeRole*, sts:TagSession, ...): a role trust policy."""
    actions = [a for s in statements for a in _strings(_get(s, "Action")) + _strings(_get(s, "NotAction"))]
    return bool(actions) and all(a.strip().lower().startswith("sts:") for a in actions)


def _concrete(text: str) -> bool:
    return bool(text) and not any(ch in text for ch in _WILDCARD)


def _shorthand_service(text: str) -> Optional[str]:
    """The service whose resource shorthand ``text`` uses ("execute-api:/*" is API Gateway's), if any."""
    return next((name for name, profile in PROFILES.items()
                 if profile.resource_shorthand and text.startswith(profile.resource_shorthand)), None)


def _target_from_arns(service: str, arns: List[str], stem: str = "policy") -> Target:
    """R from the statements' ARNs: the first concrete one, else the first pattern as written (a shorthand such
    as "execute-api:/*" names no resource: the file's stem stands for it)."""
    candidates = []
    for arn in arns:
        parts = arn.split(":", 5)
        if len(parts) < 6:
            continue
        _, partition, _, region, account, resource = parts
        if service == "s3":
            if region or account:  # access points and other non-bucket S3 ARNs come last
                continue
            name = resource.split("/", 1)[0]
        else:
            name = PROFILES[service].name_from_arn_resource(resource) or resource.split(":", 1)[0].split("/", 1)[0]
        candidates.append((name, partition, region, account))
    if not candidates:
        first = arns[0].split(":", 5)
        name, partition, region, account = (first[5] if len(first) == 6 else stem), "aws", "", ""
    else:
        name, partition, region, account = next((c for c in candidates if _concrete(c[0])), candidates[0])
    if not _concrete(name):
        # A pattern ("*", "logs-*") names no one resource: R is one resource it matches, named after the file.
        fill = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-") or "policy"
        name = witness(re.sub(r"\$\{[^}]*\}", "*", name), fill=fill)
    return Target(
        service=service,
        name=name,
        account=account if _concrete(account) else THIS_ACCOUNT,
        region=region if _concrete(region) else THIS_REGION,
        partition=partition if _concrete(partition) else "aws",
    )


def sources_for_json(document: object, file_path: str) -> List[PolicySource]:
    """The resource policies a JSON file holds, one per profiled service its Resource ARNs name.

    ``[]`` for anything that is not a resource policy (no statement with Principal/NotPrincipal, trust policies,
    templates, plans, manifests). A document spanning services is judged once per service, each time whole.
    Never raises.
    """
    try:
        from vpce_checks.adapters.endpoint import is_endpoint_policy_file  # lazy: it imports this module

        if is_endpoint_policy_file(file_path):
            return []  # a VPC endpoint policy (VPCE_CHECKS_ENDPOINT_POLICY_GLOB): judged by CKV_VPCE_8 only
        from vpce_checks.adapters.organizations import is_org_policy_file, looks_like_org_policy

        if is_org_policy_file(file_path) or looks_like_org_policy(document):
            return []  # an RCP or SCP (VPCE_CHECKS_ORG_POLICY_GLOB, or its shape): judged by CKV_VPCE_10 only
        return _sources(document, file_path)
    except Exception:  # noqa: BLE001 - a check must never raise; an unreadable document is no resource policy
        return []


def _sources(document: object, file_path: str) -> List[PolicySource]:
    if not isinstance(document, Mapping):
        return []
    statement_key, statements = _statements(document)
    if statement_key is None or not statements:
        return []
    if not any(_get(s, "Principal") is not None or _get(s, "NotPrincipal") is not None for s in statements):
        return []  # an identity policy (or not a policy at all)
    if _is_trust_policy(statements):
        return []
    arns_by_service: Dict[str, List[str]] = {}
    for statement in statements:
        for element in ("Resource", "NotResource"):
            for arn in _strings(_get(statement, element)):
                service = service_of_arn(arn.strip()) or _shorthand_service(arn.strip())
                if service in PROFILES:
                    arns_by_service.setdefault(service, []).append(arn.strip())
    stem = os.path.splitext(os.path.basename(file_path or "policy.json"))[0] or "policy"
    targets: List[Target] = [_target_from_arns(s, arns, stem) for s, arns in arns_by_service.items()]
    if not targets:
        prefixes = {
            action.split(":", 1)[0].strip().lower()
            for s in statements
            for action in _strings(_get(s, "Action")) + _strings(_get(s, "NotAction"))
            if ":" in action
        }
        if len(prefixes) == 1 and next(iter(prefixes)) in PROFILES:
            targets = [Target(next(iter(prefixes)), stem)]
    plain = plain_document(document)
    origin = f"file {os.path.basename(file_path) if file_path else stem}"
    return [
        PolicySource(target=target, document=plain, origin=origin, evaluated_keys=[statement_key], syntax="json")
        for target in targets
    ]
