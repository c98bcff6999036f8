"""The policy engine: pure Python, no Checkov. Model, matching, evaluation, perimeter analysis, remediation."""
