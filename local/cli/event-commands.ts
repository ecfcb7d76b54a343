// The commands about one event or person: `send` (a signed lifecycle event: a termination, its
// reschedule or rescind, a hire), `revoke-now` (an urgent involuntary termination), `status`, `retry` (a failed execution's event again), `approve`
// (a revocation the blast-radius guard held) and `audit` (a person's timeline and ledger).
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { describePending } from '../../lambdas/core/lifecycle/describe.ts';
import type { LifecycleOutcome } from '../../lambdas/core/lifecycle/lifecycle.ts';
import type { PendingTermination } from '../../lambdas/core/lifecycle/ports.ts';
import type { AuditEntry } from '../../lambdas/core/model/audit.ts';
import type { SourceConfig } from '../../lambdas/core/model/config.ts';
import type { ApproveOutcome } from '../../lambdas/core/revocation/approve.ts';
import { DEFAULT_DATA_DIR } from '../runtime-defaults.ts';
import { chooseSource, type EventFields, eventBody, postEvent, UsageError } from '../send-event.ts';
import { executionNote, renderTargets, renderTimeline, targetStates } from '../timeline.ts';
import { type Args, api, baseUrl, eventStatus, loadConfig } from './context.ts';

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
    person: personOf(args, args.employee),
  });
}

/**
 * An operator's revoke-now: a signed involuntary termination, effective now, marked urgent, so
 * every target's lane takes it from its priority queue before any bulk work. Sent as a generic
 * source (BambooHR has no field for it).
 */
export async function revokeNow(args: Args, employeeId: string | undefined): Promise<void> {
  const employee = employeeId ?? args.employee;
  if (!employee)
    throw new UsageError(
      'revoke-now needs an employee id: revoke-now <employeeId> [--user-name U] [--email E] [--external-id X]',
      2,
    );
  const config = await loadConfig(args);
  const source = chooseSource(config, args.source);
  if (source.kind !== 'generic') {
    const generic = config.sources.filter((s) => s.kind === 'generic').map((s) => s.id);
    throw new UsageError(
      `revoke-now sends as a generic source; "${source.id}" is ${source.kind}${generic.length > 0 ? ` (generic: ${generic.join(', ')})` : ': add a source of kind "generic" to the config'}`,
    );
  }
  await post(args, source, {
    eventId: args['event-id'],
    kind: 'termination',
    terminationType: 'involuntary',
    urgent: true,
    person: personOf(args, employee),
  });
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
    const execution = (await eventStatus(url, started.eventId)).execution;
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
  const started = await api<{ attempt: number; executionName: string; retryOf: string }>(
    `${baseUrl(args)}/_local/events/${encodeURIComponent(eventId)}/retry`,
    { method: 'POST' },
  );
  console.log(
    `retry ${started.attempt - 1} of event ${eventId} started: execution ${started.executionName} (after ${started.retryOf})\nfollow it: npm run scimitar -- status ${eventId}`,
  );
}

export async function status(args: Args, eventId: string | undefined): Promise<void> {
  if (!eventId) throw new UsageError('status needs an event id');
  const s = await eventStatus(baseUrl(args), eventId);
  if (!s.execution && s.audit.length === 0)
    throw new UsageError(`no event "${eventId}" in the local runtime`);
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
  const approvedBy = process.env.USER ?? process.env.USERNAME ?? 'operator';
  const released = await api<ApproveOutcome>(
    `${baseUrl(args)}/_local/events/${encodeURIComponent(eventId)}/approve`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ approvedBy }) },
  );
  console.log(
    `approved by ${released.approvedBy}: ${released.targets.join(', ')} sent to their lanes again\nfollow it: npm run scimitar -- status ${eventId}`,
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
  const {
    audit: entries,
    ledger,
    pending,
  } = await api<{
    audit: AuditEntry[];
    ledger: { targetId: string; outcome: string; at: string }[];
    pending: PendingTermination | null;
  }>(`${baseUrl(args)}/_local/people/${encodeURIComponent(personId)}`);
  if (entries.length === 0) throw new UsageError(`no audit entries for "${personId}"`);
  console.log(`termination: ${describePending(pending ?? undefined)}`);
  console.log(`audit timeline of ${personId}:\n${renderTimeline(entries)}`);
  console.log(
    `\nleaver ledger:\n${ledger.map((l) => `  ${l.targetId.padEnd(10)} ${l.outcome.padEnd(12)} ${l.at}`).join('\n')}`,
  );
}
