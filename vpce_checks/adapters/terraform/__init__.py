"""The Terraform reader, in layers: expressions.py (the symbolic evaluator of HCL expressions), source.py (a module
directory's blocks, parsed once), graph.py (Checkov's graph indexed, references), reader.py (resolution of a policy
value and linking to the resource it guards; the API Gateway and endpoint readers build on its public names).
The checks use the finders exported here."""

from vpce_checks.adapters.bindings import TERRAFORM_OWNER_RESOURCES, TERRAFORM_POLICY_RESOURCES
from vpce_checks.adapters.terraform.reader import DUPLICATE_CONDITIONS_KEY, source_for_terraform

__all__ = [
    "DUPLICATE_CONDITIONS_KEY",
    "TERRAFORM_OWNER_RESOURCES",
    "TERRAFORM_POLICY_RESOURCES",
    "source_for_terraform",
]
