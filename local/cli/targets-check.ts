// `targets check`: the credential canary now, one invocation of the stack's canary function per
// target (a few at a time), each result shown as it arrives. A run that fails after probing (an
// unknown credential age) still recorded its probe: the result is read from the state table.
import { DynamoCanaryStatus } from '../../lambdas/aws/adapters/dynamo-canary-status.ts';
import type { CanaryResult } from '../../lambdas/core/credentials/canary.ts';
import { UsageError } from '../send-event.ts';
import { type Args, loadConfig } from './context.ts';
import { LiveView } from './live-view.ts';
import { FunctionFailedError, invokeFunction } from './operator.ts';
import { awsCall, openStack, type StackContext } from './stack.ts';

/** Canary invocations at once: enough to be quick, few enough to spare the targets' budgets. */
export const CHECK_CONCURRENCY = 4;

export async function checkTargets(args: Args, named: readonly string[]): Promise<void> {
  const targets = named.length > 0 ? [...named] : await scimTargetsOf(args);
  const ctx = await openStack(args);
  const results = new Map<string, CanaryResult>();
  // On a terminal every target's line, redrawn as each ends; into a pipe, each result as it ends.
  const live = process.stdout.isTTY ? new LiveView() : undefined;
  const show = () =>
    live?.show(
      targets
        .map((id) => {
          const r = results.get(id);
          return r ? resultLine(r) : `  … ${id.padEnd(10)} checking`;
        })
        .join('\n'),
    );
  show();
  const queue = [...targets];
  await Promise.all(
    Array.from({ length: Math.min(CHECK_CONCURRENCY, queue.length) }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const result = await checkOne(ctx, id);
        results.set(id, result);
        if (live) show();
        else console.log(resultLine(result));
      }
    }),
  );
  if ([...results.values()].some((r) => !r.ok)) process.exitCode = 1;
}

function resultLine(r: CanaryResult): string {
  return `  ${r.ok ? '✔' : '✖'} ${r.targetId.padEnd(10)} ${r.ok ? 'credential works' : 'FAILING'}  (${r.durationMs} ms)${
    r.problems.length ? `\n      ${r.problems.join('\n      ')}` : ''
  }`;
}

async function scimTargetsOf(args: Args): Promise<string[]> {
  const config = await loadConfig(args);
  const ids = config.targets.filter((t) => t.kind === 'scim').map((t) => t.id);
  if (ids.length === 0) throw new UsageError('the config has no SCIM target to check', 2);
  return ids;
}

/** One target's probe: the canary's answer, else what it recorded before failing, else its error. */
export async function checkOne(ctx: StackContext, targetId: string): Promise<CanaryResult> {
  const started = new Date().toISOString();
  try {
    const run = (await invokeFunction(ctx, ctx.output('CanaryFunctionName'), { targetIds: [targetId] })) as {
      results?: CanaryResult[];
    };
    const result = run?.results?.find((r) => r.targetId === targetId);
    if (result) return result;
    throw new FunctionFailedError(
      ctx.output('CanaryFunctionName'),
      'the canary answered without a result',
      [],
    );
  } catch (err) {
    if (!(err instanceof FunctionFailedError)) throw err;
    const table = ctx.output('StateTableName');
    const status = new DynamoCanaryStatus({ tableName: table, client: ctx.dynamo });
    const recorded = await awsCall(ctx, 'dynamodb:GetItem', table, () => status.read(targetId));
    // Recorded by this run (a minute's slack for the clocks of this machine and the function's).
    if (recorded && Date.parse(recorded.checkedAt) >= Date.parse(started) - 60_000) return recorded;
    return {
      targetId,
      checkedAt: started,
      ok: false,
      reachable: false,
      authenticated: false,
      problems: [`the canary failed: ${err.message}`],
      durationMs: Date.now() - Date.parse(started),
    };
  }
}
