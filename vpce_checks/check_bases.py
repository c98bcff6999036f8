"""One base class per Checkov framework, so a check file names only its ID, what it reads and its finder.

Name, severity, category, Checkov ``guideline`` and the judge come from the catalog (vpce_checks/catalog.py); the
finder (an adapter call) returns what the judge reads; checkov_glue.run_check turns that into a Checkov result and
never lets an exception through.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck as CfnResourceCheck
from checkov.common.bridgecrew.severities import Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.json_doc.base_json_check import BaseJsonCheck
from checkov.json_doc.enums import BlockType
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck as TerraformResourceCheck

from vpce_checks.catalog import CheckInfo, docs_url, info
from vpce_checks.checkov_glue import adapted, entity_name, run_check, scanned_file


def _metadata(check_id: str) -> dict:
    """The Checkov constructor arguments the catalog decides."""
    entry = info(check_id)
    return {"name": entry.title, "id": entry.id, "categories": [CheckCategories[entry.category]]}


def _guideline(check_id: str) -> Optional[str]:
    """Checkov shows ``guideline`` as the docs link; set only when the repository-URL setting is (never invented).
    Read at import, where nothing may raise: a bad setting leaves it unset and every check reports the error."""
    try:
        return docs_url(check_id)
    except Exception:  # noqa: BLE001 - a check module that raises at import is dropped silently by Checkov
        return None


class _PackCheck:
    """What the three framework bases share: catalog metadata, the judge, and the call into run_check."""

    check_id: str = ""

    @property
    def catalog_entry(self) -> CheckInfo:
        return info(self.check_id)

    def _finish_init(self) -> None:
        self.severity = Severities[self.catalog_entry.severity]
        self.guideline = _guideline(self.check_id)

    def _decide(self) -> Callable[..., Any]:
        from vpce_checks import judge as judges  # on first run: most Checkov runner processes never run a check

        return getattr(judges, self.catalog_entry.judge)

    @property
    def file(self) -> str:
        """The file Checkov is scanning."""
        return scanned_file(self)

    @property
    def resource_name(self) -> str:
        """The resource's name (Terraform) or logical ID (CloudFormation)."""
        return entity_name(self)

    def shared(self, reads: str, adapter: Callable[..., Any], conf: Any, *args: Any) -> Any:
        """``adapter(conf, *args)`` once per resource for every check that ``reads`` the same thing of it
        (checkov_glue.adapted): the pack's checks of one resource share one adapted source."""
        return adapted(self, reads, adapter, conf, *args)

    def find(self, conf: Any) -> Any:
        """What the judge reads for this resource or document (an adapter's answer)."""
        raise NotImplementedError

    def _run(self, conf: Any) -> CheckResult:
        return run_check(self, conf, lambda: self.find(conf), decide=self._decide())


class TerraformCheck(_PackCheck, TerraformResourceCheck):
    """A pack check on Terraform resources (HCL and plan JSON); ``self.graph`` is Checkov's graph, when it has one."""

    resources: Iterable[str] = ()

    def __init__(self) -> None:
        TerraformResourceCheck.__init__(self, supported_resources=list(self.resources), **_metadata(self.check_id))
        self._finish_init()

    @property
    def graph_or_none(self) -> Any:
        return getattr(self, "graph", None)

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return self._run(conf)


class CloudFormationCheck(_PackCheck, CfnResourceCheck):
    """A pack check on CloudFormation (and SAM) resources."""

    resources: Iterable[str] = ()

    def __init__(self) -> None:
        CfnResourceCheck.__init__(self, supported_resources=list(self.resources), **_metadata(self.check_id))
        self._finish_init()

    def scan_resource_conf(self, conf: dict) -> CheckResult:
        return self._run(conf)


class JsonDocumentCheck(_PackCheck, BaseJsonCheck):
    """A pack check on a whole raw JSON document (a policy file)."""

    def __init__(self) -> None:
        BaseJsonCheck.__init__(self, supported_entities=["*"], block_type=BlockType.DOCUMENT,
                               **_metadata(self.check_id))
        self._finish_init()

    def scan_entity_conf(self, conf: dict, entity_type: str) -> CheckResult:
        self.entity_type = entity_type
        return self._run(conf)
