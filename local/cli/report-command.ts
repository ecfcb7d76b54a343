// `scimitar report --from DATE --to DATE [--format csv|json|html] [--out FILE]`: the evidence
// report of a period, read from a stack's audit table (its leaver index, then each event: rows and
// owner tasks) and state table (coverage ledger, canary). It needs only a DynamoDB client and the
// stack's table names, the part of a StackContext (local/cli/stack.ts) it reads.
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoCanaryStatus } from '../../lambdas/aws/adapters/dynamo-canary-status.ts';
import { DynamoLeaverEvidence } from '../../lambdas/aws/adapters/dynamo-leaver-evidence.ts';
import { DynamoReconciliationStore } from '../../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { DynamoLeaverLedger } from '../../lambdas/aws/adapters/dynamo-state.ts';
import type { AuditEntry } from '../../lambdas/core/model/audit.ts';
import type { ScimitarConfig } from '../../lambdas/core/model/config.ts';
import { type Clock, SystemClock } from '../../lambdas/core/model/ports.ts';
import { coverageReport, gatherCoverageFacts } from '../../lambdas/core/reconcile/coverage.ts';
import { renderCsv } from '../../lambdas/core/report/csv.ts';
import { renderHtml } from '../../lambdas/core/report/html.ts';
import { LEAVER_INDEX, parseReportPeriod } from '../../lambdas/core/report/leaver-index.ts';
import { OwnerTaskLookup } from '../../lambdas/core/report/ports.ts';
import { buildEvidenceReport, type EvidenceReport } from '../../lambdas/core/report/report.ts';
import { formatShare } from '../../lambdas/core/report/summary.ts';
import { ownerTaskFromAudit } from '../../lambdas/core/tasks/from-audit.ts';
import { UsageError } from '../send-event.ts';
import { type Args, loadConfig } from './context.ts';
import { awsCall, closeStack, openStack } from './stack.ts';

export const REPORT_FORMATS = ['csv', 'json', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** What the report reads of a stack: a StackContext has it (outputs AuditTableName, StateTableName). */
export interface ReportStack {
  readonly dynamo: DynamoDBDocumentClient;
  output(name: string): string;
}

export interface ReportOptions {
  /** Owner tasks of manual targets. @default - as the event's audit entries prove them (MANUAL_TASK, TASK_ACKED) */
  readonly tasks?: OwnerTaskLookup;
  /** @default SystemClock */
  readonly clock?: Clock;
  /** Where the report goes without --out. @default process.stdout */
  readonly stdout?: { write(text: string): unknown };
  /** Where the one-line account of a written file goes. @default process.stderr */
  readonly stderr?: { write(text: string): unknown };
}

/** The format --format names, else the one --out's extension says, else csv. */
export function reportFormat(args: Pick<Args, 'format' | 'out'>): ReportFormat {
  const given = args.format ?? (args.out ? extname(args.out).slice(1).toLowerCase() : 'csv');
  if ((REPORT_FORMATS as readonly string[]).includes(given)) return given as ReportFormat;
  const what = args.format ? `--format ${JSON.stringify(args.format)}` : `--out ${JSON.stringify(args.out)}`;
  throw new UsageError(`${what}: a report is csv, json or html; give --format csv|json|html`, 2);
}

export function renderReport(report: EvidenceReport, format: ReportFormat): string {
  if (format === 'html') return renderHtml(report);
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  return renderCsv(report);
}

/** A leaver's owner task as the audit log proves it: the state table's item expires 90 days after an ack. */
class AuditedOwnerTasks extends OwnerTaskLookup {
  async task(_eventId: string, targetId: string, entries: readonly AuditEntry[]) {
    return ownerTaskFromAudit(entries, targetId);
  }
}

/** Builds the report of the period the args give and writes it to --out, or to stdout. */
export async function runReport(
  args: Args,
  stack: ReportStack,
  config: ScimitarConfig,
  options: ReportOptions = {},
): Promise<EvidenceReport> {
  const period = parseReportPeriod(args.from, args.to);
  const format = reportFormat(args);
  const clock = options.clock ?? new SystemClock();
  const client = stack.dynamo;
  const audit = { tableName: stack.output('AuditTableName'), client };
  const state = { tableName: stack.output('StateTableName'), client };
  const report = await buildEvidenceReport(period, {
    config,
    evidence: new DynamoLeaverEvidence(audit),
    tasks: options.tasks ?? new AuditedOwnerTasks(),
    coverage: async () =>
      coverageReport(
        config,
        await gatherCoverageFacts(config, {
          store: new DynamoReconciliationStore(state),
          leavers: new DynamoLeaverLedger(state),
          canary: { status: new DynamoCanaryStatus(state), clock },
        }),
        clock.now(),
      ),
    clock,
  });
  const text = renderReport(report, format);
  if (args.out) {
    await writeFile(args.out, text);
    const { summary } = report;
    (options.stderr ?? process.stderr).write(
      `wrote ${args.out} (${format}): ${summary.leavers} leavers, ${report.rows.length} rows, ${summary.verifiedWithinSla} of ${summary.revocations} revocations verified within ${summary.slaMinutes} min (${formatShare(summary.withinSlaShare)})\n`,
    );
  } else (options.stdout ?? process.stdout).write(text);
  return report;
}

/**
 * The `report` command, on the stack --stack names (or the local runtime at --url): the same AWS
 * calls either way, through the StackContext.
 */
export async function report(args: Args): Promise<void> {
  // What the person typed is checked before any AWS call: a wrong date says so, not "no stack".
  parseReportPeriod(args.from, args.to);
  reportFormat(args);
  const ctx = await openStack(args);
  try {
    const tables = `${ctx.output('AuditTableName')} (and its index ${LEAVER_INDEX}), ${ctx.output('StateTableName')}`;
    await awsCall(ctx, 'dynamodb:Query', tables, async () => runReport(args, ctx, await loadConfig(args)));
  } finally {
    closeStack(ctx);
  }
}
