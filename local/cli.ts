// scimitar's command line: start the pipeline locally, run the demo, send signed events, and the
// operator's commands, the same against a deployed stack (--stack NAME, through its AWS APIs) and
// the local runtime (its AWS endpoint at --url): follow events, retry a failed one, approve, the
// reconciler, the credential canary, coverage and alarms (or `reconcile run|coverage` offline).
//   npm start                         start the pipeline locally (demo applications included)
//   npm run demo                      send terminations and watch them revoked, live
//   npm run scimitar -- <command>     start | demo | send | revoke-now | status | approve |
//                                     approve-burst | retry | audit | redrive | reconcile | coverage |
//                                     targets check | alarms | notifications | tasks | ack | report
//   npm run reconcile -- run|coverage the same as `scimitar reconcile run|coverage`
// `npm run scimitar -- --help` lists every command and option. The commands live in local/cli/.
import { parseArgs } from 'node:util';
import { ScimitarError } from '../lambdas/core/model/errors.ts';
import { DEFAULT_CONFIG_FILE } from '../lib/config-file.ts';
import { options } from './cli/context.ts';
import type { AwsCaller } from './cli/task-commands.ts';
import { DEFAULT_DATA_DIR } from './runtime-defaults.ts';
import { UsageError } from './send-event.ts';

const USAGE = `usage: scimitar <command> [options]

commands on the local runtime only:
  start [--config FILE] [--port N] [--data-dir DIR] [--persist] [--no-demo-apps]
        [--roster FILE] [--verbose]
        run the pipeline locally; Ctrl-C stops it. --roster: the HR export the reconciler
        reads (default DIR/roster.csv, the demo people when demo apps run); --verbose: the
        handlers' JSON logs on the terminal instead of DIR/runtime.log
  demo  [--url URL] [--people N]
        send signed terminations for demo people and show each target live
        (without a runtime at the URL, it starts one of its own)
  send  --employee ID [--user-name U] [--email E] [--external-id X] [--source ID]
        [--effective-at ISO] [--event-id ID] [--kind termination|rescind|hire|change|rehire]
        [--termination-type voluntary|involuntary] [--attribute KEY=VALUE]... [--url URL]
        send one lifecycle event, in the source's format and signed with its scheme
        (default source: the first generic one, else the first). A termination is scheduled
        for --effective-at; another one for the same --employee with a new date reschedules
        it; --kind rescind (or hire, rehire) cancels it; --kind change with every
        --attribute the person has after the change updates their managed groups

operator commands, on a deployed stack (--stack NAME [--region R] [--endpoint-url URL],
credentials from the standard AWS chain) or, without --stack, the local runtime at --url:
  revoke-now <employeeId> [--user-name U] [--email E] [--external-id X] [--reason TEXT] [--by NAME]
        [--no-follow]
        an operator's urgent revocation through the operator function: an involuntary
        termination, effective now, audited with who asked, that every target's lane takes from
        its priority queue before any bulk work; followed live until its execution ends
  status <eventId>                  the event's execution, its pending termination ("scheduled
                                    for <date>", rescheduled, rescinded) and each target's state
  approve <eventId> [--by NAME] [--reason TEXT]
        release a revocation the blast-radius guard held (APPROVED records who: your AWS
        identity, after --by NAME if given)
  approve-burst (--target ID... | --all) --count N --by NAME --reason TEXT [--until ISO]
        a known layoff: N more revocations past the blast-radius guard at each target, in the
        current window (and each one until --until); BURST_APPROVED records who, how many, why.
        Revocations already held still need their own approve
  retry <eventId> [--by NAME]       run a failed execution's event again (a new execution,
                                    audited as a retry); refused while it runs or once it succeeded
  audit <personId>                  a person's audit timeline and ledger
  redrive <targetId> [--message ID] move a target's dead-letter messages (or the one with that
                                    SQS message id) back to its queue, counted as they move
  reconcile [TARGET...] [--target ID]... [--restart]
        a reconciliation pass now (the stack's reconciler function): orphans, drift (re-queued
        for revocation), accepted accounts
  coverage [--json] [--config FILE]
        every application: SCIM-integrated, other automation, accepted gap or unmanaged risk,
        with what the credential canary last found
  targets check [TARGET...]         the credential canary now: a read-only probe of each SCIM
                                    target (default: every one in the config), shown as each ends
  alarms [--days N] [--list N]      the stack's alarms (firing first; exit 1 while one fires) and
                                    the alerts and owner notifications of the last N days (7)
  notifications                     the same as alarms
  tasks [--json]                    open owner tasks of manual targets, oldest first, overdue marked
  ack <task> [--by NAME] [--note TEXT]
        record that the owner closed the account (TASK_ACKED: your identity, --by and the note)

offline:
  reconcile run [--target ID]... [--roster FILE] [--secrets FILE] [--restart] [--json]
        [--list N] [--dynamo ENDPOINT] [--sqs ENDPOINT --queue ID=URL ...]
        one pass without a runtime (npm run reconcile -- run): state in --dynamo, else in
        memory; a dry run unless --sqs and --queue name the lanes' queues. --list N: at most
        N orphan and drift accounts listed per target (default 100)
  reconcile coverage (--dynamo ENDPOINT | --state-table NAME) [--audit-table NAME] [--json] [--list N]
        the coverage report of a state table: a DynamoDB endpoint, or a deployed stack's
        table with the usual AWS credentials
  report --from DATE --to DATE [--format csv|json|html] [--out FILE]
         [--stack NAME [--region R] | --url URL]
        the evidence report of a period (UTC days, both included): one row per leaver ×
        application (effective, verified, latency, outcome, how a failure ended, evidence),
        the summary against the SLA (config report.slaMinutes, default 60), the coverage
        ledger; html is one self-contained file. The format defaults to --out's extension, else csv

--url URL: the local runtime (default http://127.0.0.1:3000, or SCIMITAR_URL). Options shared by
the commands that sign: --config FILE (default ${DEFAULT_CONFIG_FILE}), --data-dir DIR (default
${DEFAULT_DATA_DIR}, where the runtime keeps secrets.json; reconcile run reads secrets.json and
roster.csv there unless --secrets and --roster say otherwise)`;

async function main(argv: string[]): Promise<void> {
  const { values: args, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const [command, subject] = positionals;
  if (args.help || !command) {
    console.log(USAGE);
    return;
  }
  // Each command loads only its own module: `send` or `status` never loads the runtime (and the
  // CDK it synthesizes with), so a command starts in a fraction of a second.
  const runtime = () => import('./cli/runtime-commands.ts');
  const events = () => import('./cli/event-commands.ts');
  const operations = () => import('./cli/operations-commands.ts');
  const offline = () => import('./cli/reconcile-offline.ts');
  switch (command) {
    case 'start':
      return (await runtime()).start(args);
    case 'demo':
      return (await runtime()).demo(args);
    case 'send':
      return (await events()).send(args);
    case 'revoke-now':
      return (await events()).revokeNow(args, subject);
    case 'status':
      return (await events()).status(args, subject);
    case 'approve':
      return (await events()).approve(args, subject);
    case 'approve-burst':
      return (await operations()).approveBurst(args, positionals.slice(1));
    case 'retry':
      return (await events()).retry(args, subject);
    case 'audit':
      return (await events()).audit(args, subject);
    case 'redrive':
      return (await operations()).redrive(args, subject);
    case 'reconcile':
      if (subject === 'run') return (await offline()).passWithoutRuntime(args);
      if (subject === 'coverage') return (await offline()).coverageOfTable(args);
      return (await operations()).reconcileNow(args, positionals.slice(1));
    case 'coverage':
      return (await operations()).coverage(args);
    case 'targets':
      if (subject !== 'check') throw new UsageError('usage: scimitar targets check [TARGET...]', 2);
      return (await import('./cli/targets-check.ts')).checkTargets(args, positionals.slice(2));
    case 'alarms':
    case 'notifications':
      return (await operations()).alarms(args);
    case 'report':
      return (await import('./cli/report-command.ts')).report(args);
    case 'tasks':
    case 'ack': {
      const { openStack, awsCall } = await import('./cli/stack.ts');
      const tasks = await import('./cli/task-commands.ts');
      const ctx = await openStack(args);
      const aws: AwsCaller = (action, resource, call) => awsCall(ctx, action, resource, call);
      if (command === 'tasks') return void (await tasks.listTasks(ctx, { json: args.json, aws }));
      return void (await tasks.ackTask(ctx, subject, { by: args.by, note: args.note }));
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // One clear line per failure a person can fix; a stack only for a bug, and only when asked.
  if (err instanceof ScimitarError) {
    console.error(err.message);
  } else if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${err.message}\n\n${USAGE}`);
  } else if (process.env.SCIMITAR_DEBUG) {
    console.error(err);
  } else {
    console.error(
      `scimitar failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} (SCIMITAR_DEBUG=1 shows the stack)`,
    );
  }
  process.exit(err instanceof UsageError ? err.exitCode : 1);
});
