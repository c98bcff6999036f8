"""The Terraform reader, in layers, each importing only the ones before it: expressions.py (the symbolic evaluator
of HCL expressions), source.py (a module directory's blocks, parsed once), graph.py (Checkov's graph indexed,
references), resolution.py (one policy value turned into a plain IAM document, with the Context of the resource it
protects), resources.py (which resource a policy guards, and linking; the entry ``source_for_terraform``). The API
Gateway, endpoint and organisation readers build on the public names of resolution.py and resources.py.

This file imports none of the layers, so importing one loads only it and the layers under it (resolution.py never
loads resources.py); the policy types are re-exported from the bindings table."""

from vpce_checks.adapters.bindings import TERRAFORM_OWNER_RESOURCES, TERRAFORM_POLICY_RESOURCES

__all__ = [
    "TERRAFORM_OWNER_RESOURCES",
    "TERRAFORM_POLICY_RESOURCES",
]
