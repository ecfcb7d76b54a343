// scimitar's command line: start the pipeline locally, run the demo, send signed events, follow
// them, retry a failed one, and run the reconciler, the credential canary and the coverage report
// on demand (in the running runtime, or `reconcile run|coverage` without one).
//   npm start                         start the pipeline locally (demo applications included)
//   npm run demo                      send terminations and watch them revoked, live
//   npm run scimitar -- <command>     start | demo | send | revoke-now | status | approve |
//                                     approve-burst | retry | audit | redrive | reconcile | coverage | targets check |
//                                     notifications | report
//   npm run reconcile -- run|coverage the same as `scimitar reconcile run|coverage`
// `npm run scimitar -- --help` lists every command and option. The commands live in local/cli/.
import { parseArgs } from 'node:util';
import { ScimitarError } from '../lambdas/core/model/errors.ts';
import { DEFAULT_CONFIG_FILE } from '../lib/config-file.ts';
import { options } from './cli/context.ts';
import { DEFAULT_DATA_DIR } from './runtime-defaults.ts';
import { UsageError } from './send-event.ts';

const USAGE = `usage: scimitar <command> [options]

commands:
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
        [--termination-type voluntary|involuntary] [--url URL]
        send one lifecycle event, in the source's format and signed with its scheme
        (default source: the first generic one, else the first). A termination is scheduled
        for --effective-at; another one for the same --employee with a new date reschedules
        it; --kind rescind (or hire, rehire) cancels it
  revoke-now <employeeId> [--user-name U] [--email E] [--external-id X] [--source ID] [--url URL]
        an operator's urgent revocation: a signed involuntary termination, effective now, that
        every target's lane takes from its priority queue, before any bulk work (generic source)
  status <eventId> [--url URL]      the event's execution, its pending termination ("scheduled
                                    for <date>", rescheduled, rescinded) and each target's state
  approve <eventId> [--url URL]     release a revocation the blast-radius guard held (APPROVED
                                    records who: $USER)
  approve-burst (--target ID... | --all) --count N --by NAME --reason TEXT [--until ISO] [--url URL]
        a known layoff: N more revocations past the blast-radius guard at each target, in the
        current window (and each one until --until); BURST_APPROVED records who, how many, why.
        Revocations already held still need their own approve
  retry <eventId> [--url URL]       run a failed execution's event again (a new execution,
                                    audited as a retry); refused while it runs or once it succeeded
  audit <personId> [--url URL]      a person's audit timeline and ledger
  redrive <targetId> [--url URL]    move a target's dead-letter messages back to its queue
  reconcile [TARGET...] [--target ID]... [--restart] [--url URL]
        a reconciliation pass now in the running runtime: orphans, drift (re-queued for
        revocation), accepted accounts
  reconcile run [--target ID]... [--roster FILE] [--secrets FILE] [--restart] [--json]
        [--list N] [--dynamo ENDPOINT] [--sqs ENDPOINT --queue ID=URL ...]
        one pass without a runtime (npm run reconcile -- run): state in --dynamo, else in
        memory; a dry run unless --sqs and --queue name the lanes' queues. --list N: at most
        N orphan and drift accounts listed per target (default 100)
  reconcile coverage (--dynamo ENDPOINT | --state-table NAME) [--audit-table NAME] [--json] [--list N]
        the coverage report of a state table: a DynamoDB endpoint, or a deployed stack's
        table with the usual AWS credentials
  coverage [--json] [--url URL]
        every application: SCIM-integrated, other automation, accepted gap or unmanaged risk
  targets check [TARGET...] [--url URL]
        the credential canary now: a read-only probe of each SCIM target
  notifications [--url URL]         alerts and owner notifications sent so far
  report --from DATE --to DATE [--format csv|json|html] [--out FILE]
         [--stack NAME [--region R] | --url URL]
        the evidence report of a period (UTC days, both included): one row per leaver ×
        application (effective, verified, latency, outcome, how a failure ended, evidence),
        the summary against the SLA (config report.slaMinutes, default 60), the coverage
        ledger; html is one self-contained file. The format defaults to --out's extension, else csv

options shared by the commands that sign: --config FILE (default ${DEFAULT_CONFIG_FILE}),
--data-dir DIR (default ${DEFAULT_DATA_DIR}, where the runtime keeps secrets.json; reconcile run
reads secrets.json and roster.csv there unless --secrets and --roster say otherwise)`;

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
      if (subject !== 'check') throw new UsageError('usage: scimitar targets check [TARGET...]');
      return (await operations()).checkTargets(args, positionals.slice(2));
    case 'notifications':
      return (await operations()).notifications(args);
    case 'report':
      return (await import('./cli/report-command.ts')).report(args);
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
