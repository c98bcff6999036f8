"""Terraform as the oracle for the pack's Terraform evaluator, on generated policies.

Writes one configuration of N S3 bucket policies, each built from a random mix of the forms real modules use
(locals, variables with defaults, format/formatlist/join/split/concat/flatten/distinct/compact/toset/try/lookup/
element/slice/coalescelist/replace/lower/upper/trim*, for expressions with filters, known conditionals, heredocs,
jsonencode, data "aws_iam_policy_document" with dynamic blocks, count and for_each, references to declared
buckets), every value known at plan time: the declared buckets are put in the state as existing, so the plan knows
their ARNs while the HCL scan reads the references. The real
`terraform plan` renders each document; the pack then scans main.tf (its own evaluator) and tfplan.json (Terraform's
rendering), and every policy must get the same results, reasons and counterexamples from both.

Needs the terraform CLI and the AWS provider in a filesystem mirror (TF_PLUGIN_DIR, default /opt/tf-plugins); it is
a measurement, not part of the test suite (CI has no terraform). Prints the agreement as a ratio and every
disagreement with both readings.

    python benchmarks/terraform_oracle.py --policies 200 --seed 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = ["vpce-0c83a8ad9bb98ef71", "vpce-1a2b3c4d5e6f70819", "vpce-0f1e2d3c4b5a69788"]
PROVIDER = """provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "placeholder"
  secret_key                  = "placeholder"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_requesting_account_id  = true
}

variable "endpoints" {
  type    = list(string)
  default = ENDPOINTS
}

variable "strict" {
  type    = bool
  default = true
}

variable "labels" {
  type    = map(string)
  default = { first = "FIRST", second = "SECOND" }
}
""".replace("ENDPOINTS", json.dumps(ENDPOINTS[:2])).replace("FIRST", ENDPOINTS[0]).replace("SECOND", ENDPOINTS[1])


def q(text: str) -> str:
    return json.dumps(text)


class Generator:
    """One policy's HCL from random forms; every helper returns an HCL expression for a known value."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.locals: List[str] = []
        self.variables: List[str] = []
        self.blocks: List[str] = []
        self.buckets: List[int] = []  # declared aws_s3_bucket resources, put in the state as existing

    def resources(self, index: int) -> str:
        arn = f"arn:aws:s3:::northwind-gen-{index}"
        wanted = self.rng.choice([[arn, arn + "/*"], [arn + "/*", arn], [arn, arn + "/*"], [arn + "/*"],
                                  [arn, arn + "/logs/*"], [arn], [arn, arn + "/*", arn + "/tmp/*"]])
        form = self.rng.randrange(12)
        if form == 0:
            return "[" + ", ".join(q(w) for w in wanted) + "]"
        if form == 1:
            return "concat(" + ", ".join("[" + q(w) + "]" for w in wanted) + ")"
        if form == 2:
            names = [w[len("arn:aws:s3:::"):] for w in wanted]
            return f'formatlist("arn:aws:s3:::%s", {json.dumps(names)})'
        if form == 3:
            suffixes = [w[len(arn):] for w in wanted]
            self.locals.append(f"arn_{index} = {q(arn)}")
            return f'[for s in {json.dumps(suffixes)} : "${{local.arn_{index}}}${{s}}"]'
        if form == 4:
            return f'split(",", join(",", {json.dumps(wanted)}))'
        if form == 5:
            return f"distinct(flatten([{json.dumps(wanted)}, [{q(wanted[0])}]]))"
        if form == 6:
            return "compact([" + ", ".join([q(w) for w in wanted] + ['""']) + "])"
        if form == 7:
            return f"tolist(toset({json.dumps(wanted)}))"
        if form == 8:
            self.locals.append(f"resources_{index} = {json.dumps(wanted)}")
            return f"local.resources_{index}"
        if form == 9:
            self.variables.append(f'variable "resources_{index}" {{\n  type    = list(string)\n  default = '
                                  f"{json.dumps(wanted)}\n}}")
            return f"var.resources_{index}"
        if form == 10:
            other = [arn + "/public/*"]
            return f"var.strict ? {json.dumps(wanted)} : {json.dumps(other)}"
        parts = [f'format("%s%s", {q(arn)}, {q(w[len(arn):])})' for w in wanted]
        return "[" + ", ".join(parts) + "]"

    def endpoints(self) -> Tuple[str, str]:
        """(operator, values expression)."""
        operator = self.rng.choice(["StringNotEquals"] * 6 + ["StringNotLike", "StringNotEqualsIgnoreCase",
                                                              "StringEquals"])
        form = self.rng.randrange(10)
        if form == 0:
            values = "var.endpoints"
        elif form == 1:
            values = json.dumps(self.rng.sample(ENDPOINTS, self.rng.randint(1, 3)))
        elif form == 2:
            values = "[element(var.endpoints, 0)]"
        elif form == 3:
            values = "slice(var.endpoints, 0, 1)"
        elif form == 4:
            values = f"[for e in var.endpoints : e if e != {q(ENDPOINTS[1])}]"
        elif form == 5:
            values = 'values(var.labels)'
        elif form == 6:
            values = 'coalescelist([], var.endpoints)'
        elif form == 7:
            values = f'[lookup(var.labels, "second", {q(ENDPOINTS[2])})]'
        elif form == 8:
            values = f'[upper({q(ENDPOINTS[0])})]'
        else:
            values = '["vpce-*"]' if self.rng.random() < 0.5 else f'[trimprefix("id:{ENDPOINTS[0]}", "id:")]'
        return operator, values

    def actions(self) -> str:
        return self.rng.choice(['"s3:*"', '["s3:*"]', 'lower("S3:*")', '["s3:GetObject", "s3:PutObject"]',
                                'distinct(["s3:*", "s3:*"])', '"s3:Get*"', '["s3:*Object"]'])

    def exemption(self) -> str:
        return self.rng.choice(["", "", "", ', "aws:PrincipalAccount" = ["111122223333"]'])

    def policy(self, index: int) -> str:
        """The resource block (and any data source it uses) of policy ``index``."""
        resources, actions = self.resources(index), self.actions()
        operator, values = self.endpoints()
        exemption = self.exemption()
        shape = self.rng.randrange(8)
        name = f"northwind-gen-{index}"
        if shape in (6, 7):  # a declared bucket (in the state, so its ARN is known to the plan), named by reference
            self.buckets.append(index)
            own = f"aws_s3_bucket.b{index}"
            other = f"aws_s3_bucket.b{self.buckets[-2]}" if len(self.buckets) > 1 and shape == 7 else own
            resource_form = self.rng.choice([f'[{own}.arn, "${{{other}.arn}}/*"]',
                                             f'[{other}.arn, format("%s/*", {own}.arn)]',
                                             f'["arn:aws:s3:::${{{own}.bucket}}", "${{{own}.arn}}/*"]',
                                             f'[for s in ["", "/*"] : "${{{other}.arn}}${{s}}"]'])
            pointer = self.rng.choice([f"{own}.id", f"{own}.bucket"])
            return (f'resource "aws_s3_bucket" "b{index}" {{\n  bucket = {q(name)}\n}}\n\n'
                    f'resource "aws_s3_bucket_policy" "p{index}" {{\n  bucket = {pointer}\n'
                    '  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [{\n'
                    f'      Effect = "Deny"\n      Principal = "*"\n      Action = {actions}\n'
                    f'      Resource = {resource_form}\n'
                    f'      Condition = {{ {operator} = {{ "aws:SourceVpce" = {values}{exemption} }} }}\n'
                    "    }]\n  })\n}\n")
        if shape == 4:  # count: each instance its own bucket and endpoint
            return (f'resource "aws_s3_bucket_policy" "p{index}" {{\n  count  = 2\n'
                    f'  bucket = "{name}-${{count.index}}"\n  policy = jsonencode({{\n    Version = "2012-10-17"\n'
                    '    Statement = [{\n      Effect = "Deny"\n      Principal = "*"\n'
                    f'      Action = {actions}\n'
                    f'      Resource = ["arn:aws:s3:::{name}-${{count.index}}", '
                    f'"arn:aws:s3:::{name}-${{count.index}}/${{count.index == 0 ? "*" : "logs/*"}}"]\n'
                    f'      Condition = {{ {operator} = {{ "aws:SourceVpce" = var.endpoints[count.index] }} }}\n'
                    "    }]\n  })\n}\n")
        if shape == 5:  # for_each over a map: each.key names the bucket, each.value its object scope
            scopes = {f"{name}-a": self.rng.choice(["*", "tmp/*"]), f"{name}-b": self.rng.choice(["*", "*"])}
            return (f'resource "aws_s3_bucket_policy" "p{index}" {{\n  for_each = {json.dumps(scopes)}\n'
                    '  bucket   = each.key\n  policy = jsonencode({\n    Version = "2012-10-17"\n'
                    '    Statement = [{\n      Effect = "Deny"\n      Principal = "*"\n'
                    f'      Action = {actions}\n'
                    '      Resource = ["arn:aws:s3:::${each.key}", "arn:aws:s3:::${each.key}/${each.value}"]\n'
                    f'      Condition = {{ {operator} = {{ "aws:SourceVpce" = {values}{exemption} }} }}\n'
                    "    }]\n  })\n}\n")
        if shape == 0 or shape == 1:
            allow = ""
            if shape == 1:
                allow = ('{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, '
                         f'Action = "s3:GetObject", Resource = "arn:aws:s3:::{name}/*" }},\n      ')
            return (f'resource "aws_s3_bucket_policy" "p{index}" {{\n  bucket = {q(name)}\n  policy = jsonencode({{\n'
                    f'    Version = "2012-10-17"\n    Statement = [\n      {allow}{{\n        Effect = "Deny"\n'
                    f'        Principal = "*"\n        Action = {actions}\n        Resource = {resources}\n'
                    f'        Condition = {{ {operator} = {{ "aws:SourceVpce" = {values}{exemption} }} }}\n'
                    "      }\n    ]\n  })\n}\n")
        if shape == 2:
            return (f'resource "aws_s3_bucket_policy" "p{index}" {{\n  bucket = {q(name)}\n  policy = <<-POLICY\n'
                    '    {\n      "Version": "2012-10-17",\n      "Statement": [{\n        "Effect": "Deny",\n'
                    f'        "Principal": "*",\n        "Action": ${{jsonencode({actions})}},\n'
                    f'        "Resource": ${{jsonencode({resources})}},\n'
                    f'        "Condition": {{"{operator}": {{"aws:SourceVpce": ${{jsonencode({values})}}}}}}\n'
                    "      }]\n    }\n  POLICY\n}\n")
        conditions = self.rng.choice(["plain", "dynamic"])
        if conditions == "plain":
            condition = (f"    condition {{\n      test     = {q(operator)}\n      variable = \"aws:SourceVpce\"\n"
                         f"      values   = {values}\n    }}\n")
        else:
            condition = (f"    dynamic \"condition\" {{\n      for_each = var.strict ? [{values}] : []\n"
                         f"      content {{\n        test     = {q(operator)}\n        variable = \"aws:SourceVpce\"\n"
                         "        values   = condition.value\n      }\n    }\n")
        self.blocks.append(
            f'data "aws_iam_policy_document" "p{index}" {{\n  statement {{\n    effect    = "Deny"\n'
            f"    actions   = flatten([{actions}])\n    resources = {resources}\n"
            '    principals {\n      type        = "*"\n      identifiers = ["*"]\n    }\n'
            f"{condition}  }}\n}}\n")
        return (f'resource "aws_s3_bucket_policy" "p{index}" {{\n  bucket = {q(name)}\n'
                f"  policy = data.aws_iam_policy_document.p{index}.json\n}}\n")


def configuration(count: int, seed: int) -> Tuple[str, Dict[str, object]]:
    """(main.tf, terraform.tfstate): the declared buckets are in the state as existing, so their ARNs are known
    to the plan while the HCL scan reads them as the references they are."""
    rng = random.Random(seed)
    generator = Generator(rng)
    policies = [generator.policy(i) for i in range(count)]
    parts = [PROVIDER, *generator.variables]
    if generator.locals:
        parts.append("locals {\n" + "\n".join("  " + line for line in generator.locals) + "\n}\n")
    state = {"version": 4, "terraform_version": "1.11.4", "serial": 1,
             "lineage": "00000000-0000-0000-0000-000000000001", "outputs": {},
             "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": f"b{i}",
                            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                            "instances": [{"schema_version": 0, "attributes": {
                                "id": f"northwind-gen-{i}", "bucket": f"northwind-gen-{i}",
                                "arn": f"arn:aws:s3:::northwind-gen-{i}", "force_destroy": False,
                                "object_lock_enabled": False, "tags": None, "tags_all": {}}}]}
                           for i in generator.buckets]}
    return "\n".join(parts + generator.blocks + policies), state


def plan(folder: Path) -> None:
    mirror = os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins")
    rc = folder.parent / "terraformrc"
    rc.write_text('provider_installation {\n  filesystem_mirror {\n    path    = ' + json.dumps(mirror) + '\n'
                  '    include = ["registry.terraform.io/*/*"]\n  }\n'
                  '  direct { exclude = ["registry.terraform.io/*/*"] }\n}\n', encoding="utf-8")
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1")
    for command in (["terraform", "init", "-input=false", "-no-color"],
                    ["terraform", "plan", "-refresh=false", "-input=false", "-no-color", "-out=tfplan"]):
        subprocess.run(command, cwd=folder, env=env, check=True, capture_output=True)
    shown = subprocess.run(["terraform", "show", "-json", "tfplan"], cwd=folder, env=env, check=True,
                           capture_output=True, text=True).stdout
    (folder / "tfplan.json").write_text(shown, encoding="utf-8")
    shutil.rmtree(folder / ".terraform")
    (folder / "tfplan").unlink()


def scan(target: Path, framework: str) -> Dict[Tuple[str, str], Tuple[str, List[str]]]:
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE")
    command = [sys.executable, "-m", "checkov.main", "-f", str(target), "--framework", framework,
               "--external-checks-dir", str(ROOT / "vpce_checks" / "checks"), "--check", "CKV_VPCE_*",
               "--skip-download", "-o", "json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    payload = json.loads(done.stdout)
    reports = payload if isinstance(payload, list) else [payload]
    out = {}
    for report in reports:
        for bucket in ("passed_checks", "failed_checks"):
            for row in report.get("results", {}).get(bucket, []):
                lines = [line for line in row.get("details") or []
                         if line.startswith(("Reason:", "Counterexample:"))]
                out[(row["check_id"], row["resource"])] = (row["check_result"]["result"], lines)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policies", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", help="write the configuration and plan into this folder and keep them")
    args = parser.parse_args()
    if shutil.which("terraform") is None:
        print("terraform is not on PATH: this measurement needs the Terraform CLI")
        return 2
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "oracle"
    work.mkdir(parents=True, exist_ok=True)
    text, state = configuration(args.policies, args.seed)
    (work / "main.tf").write_text(text, encoding="utf-8")
    (work / "terraform.tfstate").write_text(json.dumps(state, indent=1), encoding="utf-8")
    plan(work)
    from_source, from_plan = scan(work / "main.tf", "terraform"), scan(work / "tfplan.json", "terraform_plan")
    addresses = sorted({resource for _, resource in from_plan})
    disagreeing = sorted({resource for key in set(from_source) | set(from_plan)
                          if from_source.get(key) != from_plan.get(key) for resource in [key[1]]})
    fails = sum(1 for (check, _), (result, _) in from_plan.items() if check == "CKV_VPCE_1" and result == "FAILED")
    print(f"policies: {args.policies} blocks, {len(addresses)} instances judged in the plan; CKV_VPCE_1 FAILED on "
          f"{fails}")
    print(f"agree (every check's result, reason and counterexample): {len(addresses) - len(disagreeing)} of "
          f"{len(addresses)}")
    for resource in disagreeing:
        print(f"\n{resource}")
        for key in sorted(k for k in set(from_source) | set(from_plan) if k[1] == resource):
            print(f"  {key[0]} main.tf:     {from_source.get(key)}")
            print(f"  {key[0]} tfplan.json: {from_plan.get(key)}")
    return 1 if disagreeing else 0


if __name__ == "__main__":
    raise SystemExit(main())
