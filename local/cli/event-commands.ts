// The commands about one event or person: `send` (a signed lifecycle event to the local runtime's
// webhook: a termination, its reschedule or rescind, a hire), and on the stack's AWS APIs (a
// deployed stack with --stack, else the local runtime): `revoke-now` (an urgent involuntary
// termination, followed live), `status`, `retry` (a failed execution's event again), `approve` (a
// revocation the blast-radius guard held) and `audit` (a person's timeline and ledger).
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { describePending } from '../../lambdas/core/lifecycle/describe.ts';
import type { LifecycleOutcome } from '../../lambdas/core/lifecycle/lifecycle.ts';
import type { PendingTermination } from '../../lambdas/core/lifecycle/ports.ts';
import type { SourceConfig } from '../../lambdas/core/model/config.ts';
import type { ApproveOutcome } from '../../lambdas/core/revocation/approve.ts';
import { DEFAULT_DATA_DIR } from '../runtime-defaults.ts';
import { chooseSource, type EventFields, eventBody, postEvent, UsageError } from '../send-event.ts';
import { executionNote, renderTargets, renderTimeline, targetStates } from '../timeline.ts';
import { type Args, baseUrl, cliCommand, loadConfig } from './context.ts';
import { followEvents } from './live-view.ts';
import { invokeOperator, operatorIdentity } from './operator.ts';
import { openStack } from './stack.ts';
import { readEvent, readPerson } from './stack-reads.ts';

export async function send(args: Args): Promise<void> {
  if (!args.employee)
    throw new UsageError(
      'send needs --employee ID (and --user-name/--email/--external-id to match accounts)',
    );
  const config = await loadConfig(args);
  await post(args, chooseSource(config, args.source), {
    eventId: args['event-id'],
    effectiveAt: args['effective-at'],
    kind: args.kind,
    terminationType: args['termination-type'],
    person: { ...personOf(args, args.employee), ...attributesOf(args.attribute) },
  });
}

/** `--attribute department=Sales --attribute title=AE` → `{ attributes: { department: 'Sales', title: 'AE' } }`. */
export function attributesOf(pairs: readonly string[] | undefined): { attributes?: Record<string, string> } {
  if (!pairs || pairs.length === 0) return {};
  const attributes: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) {
      throw new UsageError(
        `--attribute ${JSON.stringify(pair)}: give KEY=VALUE, e.g. --attribute department=Sales`,
      );
    }
    attributes[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { attributes };
}

/**
 * An operator's revoke-now: through the operator function, which records the event (source
 * `operator`, audited with who asked) as an involuntary termination effective now, marked urgent,
 * so every target's lane takes it from its priority queue before any bulk work. Then follows the
 * execution live, target by target, unless --no-follow.
 */
export async function revokeNow(args: Args, employeeId: string | undefined): Promise<void> {
  const employee = employeeId ?? args.employee;
  if (!employee)
    throw new UsageError(
      'revoke-now needs an employee id: revoke-now <employeeId> [--user-name U] [--email E] [--external-id X]',
      2,
    );
  const ctx = await openStack(args);
  const started = await invokeOperator<RevokeNowResult>(ctx, {
    op: 'revoke-now',
    person: {
      employeeId: employee,
      ...(args['user-name'] ? { userName: args['user-name'] } : {}),
      ...(args.email ? { emails: [args.email] } : {}),
      ...(args['external-id'] ? { externalId: args['external-id'] } : {}),
    },
    by: await operatorIdentity(ctx, args),
    ...(args.reason ? { reason: args.reason } : {}),
  });
  const eventId = started.eventId;
  console.log(
    `revoke-now of ${employee}: event ${eventId}${started.executionName ? `, execution ${started.executionName}` : ''}`,
  );
  if (args['no-follow'] || !eventId) {
    console.log(`follow it: ${cliCommand(ctx, `status ${eventId}`)}`);
    return;
  }
  const { views, ended } = await followEvents((id) => readEvent(ctx, id), [{ eventId, name: employee }]);
  const execution = views[0]?.execution;
  if (!ended) console.log(`still running; follow it: ${cliCommand(ctx, `status ${eventId}`)}`);
  else if (execution?.status !== 'SUCCEEDED') process.exitCode = 1;
}

/** What the operator function answers to revoke-now. */
interface RevokeNowResult {
  readonly eventId: string;
  readonly executionName?: string;
}

function personOf(args: Args, employeeId: string): EventFields['person'] {
  return { employeeId, userName: args['user-name'], email: args.email, externalId: args['external-id'] };
}

async function post(args: Args, source: SourceConfig, fields: EventFields): Promise<void> {
  const body = eventBody(source, fields, args['event-id'] ?? `cli-${randomUUID()}`);
  const url = baseUrl(args);
  const { status, body: answer } = await postEvent(
    url,
    source,
    resolve(args['data-dir'] ?? DEFAULT_DATA_DIR),
    body,
  );
  console.log(`HTTP ${status}\n${JSON.stringify(answer, null, 2)}`);
  if (status >= 400) {
    process.exitCode = 1;
    return;
  }
  for (const started of answer.executions ?? []) {
    const lifecycle = (started as { lifecycle?: LifecycleOutcome }).lifecycle;
    if (lifecycle && lifecycle.action !== 'started') {
      console.log(`\n${lifecycleLine(lifecycle)}\nfollow it: npm run scimitar -- status ${started.eventId}`);
      continue;
    }
    if (!started.duplicate) {
      console.log(`\nfollow it: npm run scimitar -- status ${started.eventId}`);
      continue;
    }
    // Same event id, same execution name: Step Functions (and the local workflow) start nothing.
    const execution = (await readEvent(await openStack(args), started.eventId)).execution;
    console.log(
      `\nduplicate of event ${started.eventId} (execution ${execution?.name ?? started.executionArn}, status ${execution?.status ?? 'unknown'}): nothing started; ${
        execution?.status === 'SUCCEEDED' || execution?.status === 'RUNNING'
          ? `see npm run scimitar -- status ${started.eventId}`
          : `use \`npm run scimitar -- retry ${started.eventId}\``
      }`,
    );
  }
}

export async function retry(args: Args, eventId: string | undefined): Promise<void> {
  if (!eventId) throw new UsageError('retry needs an event id (as `send` and `status` show it)');
  const ctx = await openStack(args);
  const started = await invokeOperator<RetryStarted>(ctx, {
    op: 'retry',
    eventId,
    by: await operatorIdentity(ctx, args),
  });
  console.log(
    `retry ${started.attempt - 1} of event ${eventId} started: execution ${started.executionName} (after ${started.retryOf})\nfollow it: ${cliCommand(ctx, `status ${eventId}`)}`,
  );
}

/** What the operator function answers to retry. */
interface RetryStarted {
  readonly attempt: number;
  readonly executionName: string;
  readonly retryOf: string;
}

export async function status(args: Args, eventId: string | undefined): Promise<void> {
  if (!eventId) throw new UsageError('status needs an event id');
  const ctx = await openStack(args);
  const s = await readEvent(ctx, eventId);
  if (!s.execution && s.audit.length === 0)
    throw new UsageError(`no event "${eventId}" in stack ${ctx.stackName}`);
  console.log(
    `event ${eventId}: execution ${s.execution?.status ?? 'not started'}${s.execution?.error ? ` (${s.execution.error})` : ''}`,
  );
  if (s.pending) console.log(pendingLine(eventId, s.pending));
  console.log(renderTargets(targetStates(s.audit)));
  const note = executionNote(s.execution, s.audit);
  if (note) console.log(note);
  console.log(`\n${renderTimeline(s.audit)}`);
}

export async function approve(args: Args, eventId: string | undefined): Promise<void> {
  if (!eventId) throw new UsageError('approve needs an event id (as the refusal and `status` show it)');
  const ctx = await openStack(args);
  const released = await invokeOperator<ApproveOutcome>(ctx, {
    op: 'approve',
    eventId,
    by: await operatorIdentity(ctx, args),
    ...(args.reason ? { reason: args.reason } : {}),
  });
  console.log(
    `approved by ${released.approvedBy}: ${released.targets.join(', ')} sent to their lanes again\nfollow it: ${cliCommand(ctx, `status ${eventId}`)}`,
  );
}

/** What ingest did with a lifecycle event, in one line. */
function lifecycleLine(outcome: LifecycleOutcome): string {
  switch (outcome.action) {
    case 'scheduled':
      return `scheduled for ${outcome.startAt}`;
    case 'rescheduled':
      return `rescheduled from ${outcome.previous} to ${outcome.startAt}`;
    case 'rescinded':
      return `rescinded the termination ${outcome.eventId}${outcome.afterStart ? ' (its revocation had started: writes made stand)' : ': nothing revoked'}`;
    case 'unchanged':
    case 'nothing-pending':
      return `nothing changed: ${outcome.reason}`;
    case 'started':
      return `revocation started: ${outcome.executionArn}`;
  }
}

/** The person's pending termination as `status` shows it, for this event or the one that replaced it. */
function pendingLine(eventId: string, pending: PendingTermination): string {
  const line = describePending(pending);
  return pending.eventId === eventId ? line : `replaced by event ${pending.eventId}: ${line}`;
}

export async function audit(args: Args, personId: string | undefined): Promise<void> {
  if (!personId) throw new UsageError('audit needs a person (employee) id');
  const ctx = await openStack(args);
  const { audit: entries, ledger, pending } = await readPerson(ctx, personId);
  if (entries.length === 0)
    throw new UsageError(`no audit entries for "${personId}" in stack ${ctx.stackName}`);
  console.log(`termination: ${describePending(pending ?? undefined)}`);
  console.log(`audit timeline of ${personId}:\n${renderTimeline(entries)}`);
  console.log(
    `\nleaver ledger:\n${ledger.map((l) => `  ${l.targetId.padEnd(10)} ${l.outcome.padEnd(12)} ${l.at}`).join('\n')}`,
  );
}
