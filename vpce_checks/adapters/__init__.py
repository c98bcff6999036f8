"""Adapters turn a Terraform conf, a CloudFormation resource or a JSON document into the engine's input."""
