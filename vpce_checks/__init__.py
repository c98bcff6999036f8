"""vpce-checks: Checkov checks that prove AWS resource policies keep a VPC endpoint perimeter."""

__version__ = "0.1.0"
