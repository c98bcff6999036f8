"""The CloudFormation (and SAM) reader, in layers, each importing only the ones before it: template.py (loading a
template once per file version, its sections and resources as written), intrinsics.py (the renderer of intrinsic
functions, the walker of the names an expression references, conditions), resources.py (a resource's policy, linked
to what it protects, read once per target and Fn::If branch). The checks, judge and explain use the names exported
here."""

from vpce_checks.adapters.bindings import CFN_OWNER_RESOURCES, CFN_POLICY_RESOURCES
from vpce_checks.adapters.cloudformation.resources import fix_with_template_partition, source_for_cloudformation
from vpce_checks.adapters.cloudformation.template import (
    Readings,
    clear_template_cache,
    split_entity_path,
    template_reads,
)

__all__ = [
    "CFN_OWNER_RESOURCES",
    "CFN_POLICY_RESOURCES",
    "Readings",
    "clear_template_cache",
    "fix_with_template_partition",
    "source_for_cloudformation",
    "split_entity_path",
    "template_reads",
]
