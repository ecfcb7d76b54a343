// The IAM proof: every AWS call recorded while the tests ran (local/aws-calls.ts) is evaluated
// against the synthesized role of the function that made it; a call no statement allows fails,
// naming the function, the action, the resource and the statement closest to allowing it. The
// report lists, per function, the granted actions no recorded call used.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../lambdas/core/model/config.ts';
import type { RecordedCall } from '../../local/aws-calls.ts';
import { type AccessRequest, evaluate, type PolicyStatement, type StatementMatch } from './policy.ts';
import { type Principal, type StackModel, stackModel } from './roles.ts';

export interface Recordings {
  readonly calls: readonly RecordedCall[];
  /** The config JSON of each stack key the calls name. */
  readonly stacks: ReadonlyMap<string, unknown>;
}

export function readRecordings(dir: string): Recordings {
  const calls: RecordedCall[] = [];
  const stacks = new Map<string, unknown>();
  if (!existsSync(dir)) return { calls, stacks };
  for (const file of readdirSync(dir).sort()) {
    const stack = file.match(/^stack-(\w+)\.json$/);
    if (stack?.[1]) stacks.set(stack[1], JSON.parse(readFileSync(join(dir, file), 'utf8')));
    if (!/^calls-\d+\.jsonl$/.test(file)) continue;
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      // A line cut short (a test process killed mid-write) is skipped, never guessed at.
      if (!line.trim()) continue;
      try {
        calls.push(JSON.parse(line) as RecordedCall);
      } catch {}
    }
  }
  return { calls, stacks };
}

/** A recorded call that its role does not allow. */
export interface Denial {
  readonly principal: string;
  readonly call: RecordedCall;
  readonly resource: string;
  /** `allowed`: a call marked `refused` that the role allows. */
  readonly decision: 'explicit-deny' | 'implicit-deny' | 'no-role' | 'allowed';
  readonly closest?: StatementMatch & { readonly policy?: string };
}

export interface PrincipalReport {
  readonly principal: Principal;
  readonly calls: number;
  /** Calls marked `refused` that the role refuses, as it should. */
  readonly refused: number;
  /** `action on resource` granted by an Allow statement and used by no recorded call. */
  readonly unused: readonly string[];
  /** Of those, actions the platform or a service uses on the function's behalf (logs, X-Ray, KMS). */
  readonly platform: readonly string[];
}

export interface Proof {
  readonly checked: number;
  readonly denials: readonly Denial[];
  readonly reports: readonly PrincipalReport[];
}

/** Actions used by Lambda, X-Ray or a service on the role's behalf, never by the code's SDK calls. */
const PLATFORM_ACTION = /^(logs|xray|kms):/i;

function requestsOf(call: RecordedCall): AccessRequest[] {
  return call.resources.map((resource) => ({
    action: call.action,
    resource,
    ...(call.leadingKeys || call.resourceTags
      ? {
          context: {
            ...(call.leadingKeys ? { 'dynamodb:LeadingKeys': call.leadingKeys } : {}),
            ...Object.fromEntries(
              Object.entries(call.resourceTags ?? {}).map(([key, value]) => [
                `secretsmanager:ResourceTag/${key}`,
                [value],
              ]),
            ),
          },
        }
      : {}),
  }));
}

function principalFor(model: StackModel, call: RecordedCall): Principal | undefined {
  const candidates = model.principals.filter((p) => p.entry === call.entry);
  // Per-target functions carry TARGET_ID; a function that serves every target does not.
  return (
    candidates.find((p) => p.targetId !== undefined && p.targetId === call.targetId) ??
    candidates.find((p) => p.targetId === undefined)
  );
}

/** Evaluates the calls of one stack against its roles. */
export function prove(model: StackModel, calls: readonly RecordedCall[]): Proof {
  const denials: Denial[] = [];
  const used = new Map<Principal, Set<string>>(); // statement index:action:resource pattern
  const counts = new Map<Principal, number>();
  const refusals = new Map<Principal, number>();
  const denied = new Set<string>();
  let checked = 0;
  for (const call of calls) {
    const principal = principalFor(model, call);
    for (const request of requestsOf(call)) {
      checked += 1;
      if (!principal) {
        denials.push({ principal: call.entry, call, resource: request.resource, decision: 'no-role' });
        continue;
      }
      const decision = evaluate(principal.statements, request);
      if (call.refused) {
        if (decision.decision === 'allow') {
          denials.push({ principal: principal.label, call, resource: request.resource, decision: 'allowed' });
        } else refusals.set(principal, (refusals.get(principal) ?? 0) + 1);
        continue;
      }
      counts.set(principal, (counts.get(principal) ?? 0) + 1);
      if (decision.decision === 'allow' && decision.by) {
        const marks = used.get(principal) ?? new Set<string>();
        used.set(principal, marks);
        for (const grant of grantsOf(decision.by.statement, decision.by.index))
          if (grantCovers(grant, request)) marks.add(grant.key);
        continue;
      }
      const closest = decision.by ?? decision.closest;
      const seen = `${principal.label}|${call.action}|${request.resource}|${call.leadingKeys?.join(',') ?? ''}`;
      if (denied.has(seen)) continue;
      denied.add(seen);
      denials.push({
        principal: principal.label,
        call,
        resource: request.resource,
        decision: decision.decision === 'explicit-deny' ? 'explicit-deny' : 'implicit-deny',
        ...(closest
          ? { closest: { ...closest, policy: (closest.statement as { policy?: string }).policy } }
          : {}),
      });
    }
  }
  const reports = model.principals.map((principal) => {
    const marks = used.get(principal) ?? new Set<string>();
    const unused: string[] = [];
    const platform: string[] = [];
    principal.statements.forEach((statement, index) => {
      if (statement.Effect !== 'Allow') return;
      for (const grant of grantsOf(statement, index)) {
        if (marks.has(grant.key)) continue;
        const label = `${grant.action} on ${readable(model, grant.resource)}`;
        (PLATFORM_ACTION.test(grant.action) ? platform : unused).push(label);
      }
    });
    return {
      principal,
      calls: counts.get(principal) ?? 0,
      refused: refusals.get(principal) ?? 0,
      unused: [...new Set(unused)],
      platform: [...new Set(platform)],
    };
  });
  return { checked, denials, reports };
}

/** An ARN by the logical id of the resource it starts with (`AuditStoreAuditTable…/index/byPerson`). */
export function readable(model: StackModel, arn: string): string {
  let best: [string, string] | undefined;
  for (const [prefix, logicalId] of model.logicalIdOf) {
    if (arn.startsWith(prefix) && (!best || prefix.length > best[0].length)) best = [prefix, logicalId];
  }
  return best ? `${best[1]}${arn.slice(best[0].length)}` : arn;
}

interface Grant {
  readonly key: string;
  readonly action: string;
  readonly resource: string;
}

/** One statement's grants: each action on each resource pattern. */
function grantsOf(statement: PolicyStatement, index: number): Grant[] {
  const list = (v: PolicyStatement['Action']) =>
    v === undefined ? [] : typeof v === 'string' ? [v] : [...v];
  const actions =
    statement.NotAction !== undefined
      ? [`NotAction ${list(statement.NotAction).join(',')}`]
      : list(statement.Action);
  const resources = statement.NotResource !== undefined ? ['*'] : list(statement.Resource);
  return actions.flatMap((action) =>
    resources.map((resource) => ({ key: `${index}|${action}|${resource}`, action, resource })),
  );
}

function grantCovers(grant: Grant, request: AccessRequest): boolean {
  const single: PolicyStatement = { Effect: 'Allow', Action: grant.action, Resource: grant.resource };
  return evaluate([single], request).decision === 'allow';
}

/** Reads the recordings in a directory and proves them, one synth per config the calls name. */
export function proveRecordings(dir: string): { proofs: Proof[]; calls: number } {
  const { calls, stacks } = readRecordings(dir);
  const proofs: Proof[] = [];
  for (const [key, config] of stacks) {
    const ofStack = calls.filter((c) => c.stack === key);
    if (ofStack.length === 0) continue;
    proofs.push(prove(stackModel(parseConfig(config, `recorded stack ${key}`)), ofStack));
  }
  const orphans = calls.filter((c) => !stacks.has(c.stack));
  if (orphans.length > 0)
    throw new Error(`${orphans.length} recorded call(s) name a stack whose config was not recorded (${dir})`);
  return { proofs, calls: calls.length };
}

export function describeDenial(denial: Denial): string {
  const { call } = denial;
  const head = `${denial.principal} calls ${call.action} on ${denial.resource}${call.leadingKeys ? ` (leading keys ${call.leadingKeys.join(', ')})` : ''}${call.via === 'stand-in' ? ' [via the local stand-in]' : ''}`;
  if (denial.decision === 'no-role') return `${head}: no function in the template runs entry "${call.entry}"`;
  if (denial.decision === 'allowed') return `${head}: allowed, though the test expects the role to refuse it`;
  const closest = denial.closest;
  if (!closest) return `${head}: ${denial.decision}; the role has no Allow statement`;
  const statement = JSON.stringify({
    Effect: closest.statement.Effect,
    Action: closest.statement.Action ?? closest.statement.NotAction,
    Resource: closest.statement.Resource ?? closest.statement.NotResource,
    ...(closest.statement.Condition ? { Condition: closest.statement.Condition } : {}),
  });
  return `${head}: ${denial.decision}; closest statement (${closest.policy ?? `#${closest.index}`}) ${statement}: ${closest.reasons.join('; ')}`;
}

/**
 * A line per function: calls checked, grants never used. Short form (the test output): unused
 * action names only; `detail` (npm run iam:report): each unused action on each resource, and the
 * grants the platform uses on the function's behalf.
 */
export function describeProof(proof: Proof, detail = false): string[] {
  const lines: string[] = [];
  for (const report of proof.reports) {
    const who = report.principal.label;
    const refused = report.refused ? `; ${report.refused} call(s) refused, as the tests expect` : '';
    if (report.calls === 0) {
      lines.push(`${who}: no call recorded (not exercised by this run)${refused}`);
      continue;
    }
    const unused = detail
      ? report.unused
      : [...new Set(report.unused.map((grant) => grant.split(' on ')[0]))];
    lines.push(
      `${who}: ${report.calls} call(s) allowed${refused}; granted, never used: ${unused.length ? unused.join(', ') : 'none'}`,
    );
    if (detail && report.platform.length)
      lines.push(`  used by the platform on its behalf (logs, X-Ray, KMS): ${report.platform.join(', ')}`);
    if (report.principal.unreadable.length)
      lines.push(`  managed policies not evaluated: ${report.principal.unreadable.join(', ')}`);
  }
  return lines;
}
