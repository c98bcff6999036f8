"""The symbolic Terraform evaluator on real HCL text, parsed by checkov's own grammar (bc-python-hcl2).

Each case is Terraform source as users write it and the value Terraform would give, with what cannot be known at
scan time kept as a symbol (``Unknown``) that names its expression.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from vpce_checks.adapters.terraform.expressions import (
    MAX_FILE_BYTES,
    EvaluationProblem,
    Unsupported,
    evaluate_variants,
    materialize,
    parse_expression,
    read_bounded,
)
from vpce_checks.adapters.terraform.source import module_source, scope_for

MODULE = r'''
variable "env" { default = "prod" }
variable "flag" { type = bool }
variable "tags" { default = { team = "data" } }

locals {
  arn       = aws_s3_bucket.b.arn
  resources = [local.arn, "${local.arn}/*"]
  deny      = [{ Effect = "Deny", Resource = local.resources }]
  allow     = [{ Effect = "Allow" }]
  ids       = ["vpce-0c83a8ad9bb98ef71", "vpce-a0bd6592640171aa6"]
  by_name   = { a = "s3:GetObject", b = "s3:PutObject" }
}

data "aws_region" "current" {}
'''


def _variants(tmp_path: Path, expression: str, files: Tuple[Tuple[str, str], ...] = ()) -> List[Tuple[str, Any]]:
    (tmp_path / "main.tf").write_text(MODULE, encoding="utf-8")
    for name, text in files:
        (tmp_path / name).write_text(text, encoding="utf-8")
    scope = scope_for(module_source(str(tmp_path)), str(tmp_path))
    return evaluate_variants(scope, parse_expression(expression))


def _value(tmp_path: Path, expression: str, *files: Tuple[str, str]) -> Any:
    variants = _variants(tmp_path, expression, files)
    assert len(variants) == 1 and variants[0][0] == "", variants
    return materialize(variants[0][1])


@pytest.mark.parametrize("expression, expected", [
    # a locals chain keeps the "/*" element (Checkov's rendering loses it)
    ("local.resources", ["${aws_s3_bucket.b.arn}", "${aws_s3_bucket.b.arn}/*"]),
    ("concat(local.deny, local.allow)",
     [{"Effect": "Deny", "Resource": ["${aws_s3_bucket.b.arn}", "${aws_s3_bucket.b.arn}/*"]}, {"Effect": "Allow"}]),
    ('format("arn:aws:execute-api:%s:%s:%s/*", data.aws_region.current.name, '
     'data.aws_caller_identity.current.account_id, aws_api_gateway_rest_api.api.id)',
     "arn:aws:execute-api:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:"
     "${aws_api_gateway_rest_api.api.id}/*"),
    ('join("", ["arn:aws:s3:::", aws_s3_bucket.b.id, "/*"])', "arn:aws:s3:::${aws_s3_bucket.b.id}/*"),
    ('split(",", join(",", local.ids))', ["vpce-0c83a8ad9bb98ef71", "vpce-a0bd6592640171aa6"]),
    ('formatlist("%s/*", local.ids)', ["vpce-0c83a8ad9bb98ef71/*", "vpce-a0bd6592640171aa6/*"]),
    ('var.env == "prod" ? local.ids[0] : "vpce-other"', "vpce-0c83a8ad9bb98ef71"),
    ("[for k, v in local.by_name : v if k != \"b\"]", ["s3:GetObject"]),
    ("{for k, v in local.by_name : v => k}", {"s3:GetObject": "a", "s3:PutObject": "b"}),
    ("merge({ a = 1 }, { b = 2 }, { a = 3 })", {"a": 3, "b": 2}),
    ("flatten([local.ids, [\"x\"]])", ["vpce-0c83a8ad9bb98ef71", "vpce-a0bd6592640171aa6", "x"]),
    ("distinct(compact([\"a\", \"\", \"a\", \"b\"]))", ["a", "b"]),
    ('lookup(var.tags, "team", "none")', "data"),
    ('lookup(var.tags, "owner", "none")', "none"),
    ("element(local.ids, 3)", "vpce-a0bd6592640171aa6"),
    ('coalesce("", "x")', "x"),
    ('upper(trimprefix("s3:getobject", "s3:"))', "GETOBJECT"),
    ('replace("a-b-c", "-", ":")', "a:b:c"),
    ("jsondecode(jsonencode({ a = [1, true] }))", {"a": [1, True]}),
    ("try(local.by_name.missing, \"fallback\")", "fallback"),
    ("1 + 2 * 3 == 7 && !false", True),
    # a symbol keeps its identity through attribute access, interpolation and unknown-aware functions
    ('"${aws_s3_bucket.b.arn}"', "${aws_s3_bucket.b.arn}"),
    ("aws_s3_bucket.this[0].id", "${aws_s3_bucket.this[0].id}"),
    ('lower(aws_s3_bucket.b.bucket)', "${lower(aws_s3_bucket.b.bucket)}"),
    ("concat(var.missing, local.ids)", "${concat(var.missing, local.ids)}"),
    ('"$${aws:username} and %%{x}"', "${aws:username} and %{x}"),
    ('"line\\n\\"quoted\\""', 'line\n"quoted"'),
])
def test_expressions(tmp_path: Path, expression: str, expected: Any) -> None:
    assert _value(tmp_path, expression) == expected


def test_unknown_condition_gives_both_branches_labelled(tmp_path: Path) -> None:
    variants = _variants(tmp_path, 'var.flag ? local.resources : [local.arn]')
    assert [(label, materialize(value)) for label, value in variants] == [
        ("var.flag is true", ["${aws_s3_bucket.b.arn}", "${aws_s3_bucket.b.arn}/*"]),
        ("var.flag is false", ["${aws_s3_bucket.b.arn}"]),
    ]


def test_grammar_precedence_of_conditional_after_comparison(tmp_path: Path) -> None:
    # the grammar parses `a == b ? x : y` as `a == (b ? x : y)`; Terraform means `(a == b) ? x : y`
    assert _value(tmp_path, 'var.env == "dev" ? "yes" : "no"') == "no"
    variants = _variants(tmp_path, 'var.region == "eu" ? "a" : "b"')
    assert [label for label, _ in variants] == ['var.region == "eu" is true', 'var.region == "eu" is false']


def test_too_many_unknown_conditions_fail_closed(tmp_path: Path) -> None:
    expression = "[" + ", ".join(f'var.c{i} ? "a" : "b"' for i in range(5)) + "]"
    with pytest.raises(EvaluationProblem, match="combinations"):
        _variants(tmp_path, expression)


def test_heredoc_and_templatefile_directives(tmp_path: Path) -> None:
    template = ('{"Statement": [%{ for i, id in ids ~}%{ if i > 0 },%{ endif }"${id}"%{ endfor ~}],'
                ' "Strict": %{ if strict }true%{ else }false%{ endif }}')
    value = _value(tmp_path, 'jsondecode(templatefile("${path.module}/p.tpl", { ids = local.ids, strict = true }))',
                   ("p.tpl", template))
    assert value == {"Statement": ["vpce-0c83a8ad9bb98ef71", "vpce-a0bd6592640171aa6"], "Strict": True}
    heredoc = _value(tmp_path, "local.doc", ("doc.tf", 'locals {\n  doc = <<-EOT\n    {"a": "${local.arn}"}\n'
                                                      '    EOT\n}\n'))
    assert heredoc == '{"a": "${aws_s3_bucket.b.arn}"}\n'


def test_unsupported_forms_fall_back(tmp_path: Path) -> None:
    with pytest.raises(Unsupported):
        _variants(tmp_path, "cidrsubnet(local.ids, 1, 2)")
    with pytest.raises(Unsupported):
        _variants(tmp_path, "local.not_declared")


def test_local_cycle_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(EvaluationProblem, match="itself"):
        _variants(tmp_path, "local.a", files=(("cycle.tf", "locals {\n  a = local.b\n  b = local.a\n}\n"),))


def test_file_reads_are_bounded(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_FILE_BYTES + 1))
    with pytest.raises(EvaluationProblem, match="larger than"):
        read_bounded(str(big))
    with pytest.raises(EvaluationProblem, match="not a regular file"):
        read_bounded("/dev/zero")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    with pytest.raises(EvaluationProblem, match="not a regular file"):
        read_bounded(str(fifo))  # would block forever if it were opened
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(EvaluationProblem, match="not a regular file"):
        read_bounded(str(link))
    with pytest.raises(EvaluationProblem, match="does not exist"):
        read_bounded(str(tmp_path / "absent.json"))
    (tmp_path / "latin1.json").write_bytes(b"\xff\xfe{")
    with pytest.raises(EvaluationProblem, match="UTF-8"):
        read_bounded(str(tmp_path / "latin1.json"))


def test_splat_over_a_counted_resource_is_its_instances(tmp_path: Path) -> None:
    counted = ("b.tf", 'resource "aws_s3_bucket" "this" {\n  count = 1\n}\n'
                       'resource "aws_s3_bucket" "maybe" {\n  count = var.flag ? 1 : 0\n}\n')
    assert _value(tmp_path, 'join("", aws_s3_bucket.this[*].id)', counted) == "${aws_s3_bucket.this[0].id}"
    variants = _variants(tmp_path, 'join("", aws_s3_bucket.maybe[*].id)', (counted,))
    assert [(label, value) for label, value in variants] == [
        ("var.flag is true", "${aws_s3_bucket.maybe[0].id}"), ("var.flag is false", "")]


def test_related_conditions_are_decided_once(tmp_path: Path) -> None:
    # `a && b` and `a` share the symbol a; a list index past the end under assumed branches is a combination
    # Terraform would reject, so it is left out rather than reported
    expression = '(var.a && var.b) ? (var.a ? ["x"] : [])[0] : "none"'
    variants = _variants(tmp_path, expression)
    assert sorted(materialize(value) for _, value in variants) == ["none", "none", "x"]


def test_module_inputs_come_from_the_caller(tmp_path: Path) -> None:
    from vpce_checks.adapters.terraform.source import module_scope

    (tmp_path / "main.tf").write_text(
        'module "logs" {\n  source = "./mod"\n  bucket_arn = aws_s3_bucket.root.arn\n  region = '
        'data.aws_region.current.name\n}\n', encoding="utf-8")
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text(
        'variable "bucket_arn" {}\nvariable "region" {}\nlocals {\n  r = ["${var.bucket_arn}/*", var.region]\n}\n',
        encoding="utf-8")
    call = {"path": str(tmp_path / "main.tf"), "name": "logs", "nested_tf_module": None}
    scope = module_scope(str(tmp_path / "mod"), str(tmp_path), call)
    [(label, value)] = evaluate_variants(scope, parse_expression("local.r"))
    # the caller's bucket is renamed so it never reads as the module's own aws_s3_bucket.root; the Region is kept
    assert materialize(value) == ["${caller.aws_s3_bucket.root.arn}/*", "${data.aws_region.current.name}"]
