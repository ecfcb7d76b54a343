// The workflow, run locally: the state machine definition the CDK app synthesizes, executed by
// aws-local-stepfunctions. Lambda Task states run the same handler functions in process; SQS
// `.waitForTaskToken` states send the real message to the local queue and wait for the lane's
// callback through the task-token registry. Executions are named, so a name runs once. Wait
// states sleep on the runtime's clock (local/clock.ts), so a test can move time forward.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { StateMachine } from 'aws-local-stepfunctions';
import { type WorkflowStart, WorkflowStarter } from '../lambdas/core/ingest/ports.ts';
import { type Acting, actAs, localArns, recordAwsCall } from './aws-calls.ts';
import { LocalClock } from './clock.ts';
import { TaskFailedError, type TaskTokenRegistry } from './task-tokens.ts';
import { clockedWaits, waitOnClock } from './workflow-waits.ts';

/** Stands for `$$.Task.Token` in the context object; each SQS task swaps it for a fresh token. */
export const TASK_TOKEN_PLACEHOLDER = '__scimitar_local_task_token__';

export type LocalLambda = (input: unknown) => Promise<unknown>;

export interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
  Branches?: { States: Record<string, AslState> }[];
  [key: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [key: string]: unknown;
}

export interface ExecutionRecord {
  readonly name: string;
  readonly executionArn: string;
  readonly input: unknown;
  readonly startedAt: string;
  /** ABORTED: the local runtime stopped while it ran (its lane messages finish as redrives). */
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  stoppedAt?: string;
  output?: unknown;
  error?: string;
  cause?: string;
  readonly done: Promise<void>;
}

export interface LocalWorkflowProps {
  readonly definition: AslDefinition;
  /** Lambda Task states' Resource (the function ARN as synthesized) or state name → the in-process handler. */
  readonly lambdas: Record<string, LocalLambda>;
  readonly sqs: SQSClient;
  /** Maps the QueueUrl a state sends to (as synthesized) to the local queue's URL. */
  readonly queueUrlFor: (synthesized: string) => string;
  readonly tokens: TaskTokenRegistry;
  /** What Wait states and task timeouts sleep on. @default - the system clock */
  readonly clock?: LocalClock;
  readonly stateMachineName?: string;
  /**
   * A file recording every execution's start and end, so that execution names stay taken across
   * restarts (as Step Functions keeps them), and a repeated delivery never runs twice.
   * @default - executions are remembered in memory only
   */
  readonly journal?: string;
  /** Called once per execution when it ends (the failed-executions alarm listens here). */
  readonly onExecutionEnd?: (execution: ExecutionRecord) => void;
  /** Who executions act as, for the IAM proof's call recorder. @default - calls are not recorded */
  readonly acting?: Acting;
}

/** Every state of a definition, with nested Map and Parallel states, by name. */
export function allStates(states: Record<string, AslState>): [string, AslState][] {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...allStates(state.ItemProcessor?.States ?? state.Iterator?.States ?? {}),
    ...(state.Branches ?? []).flatMap((branch) => allStates(branch.States)),
  ]);
}

function replaceToken(value: unknown, token: string): unknown {
  if (value === TASK_TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((v) => replaceToken(v, token));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceToken(v, token)]));
  }
  return value;
}

export class LocalWorkflow extends WorkflowStarter {
  readonly executions = new Map<string, ExecutionRecord>();
  private readonly machine: StateMachine;
  private readonly handlers: Record<string, (input: unknown, signal: AbortSignal) => Promise<unknown>> = {};
  private readonly arnPrefix: string;
  private readonly clock: LocalClock;

  constructor(private readonly props: LocalWorkflowProps) {
    super();
    this.clock = props.clock ?? new LocalClock();
    // aws-local-stepfunctions sleeps on the system's timers in a Wait state (and fires a wait
    // beyond 24.8 days at once): each Wait runs as a Task that sleeps on the runtime's clock.
    const { definition, waits } = clockedWaits(props.definition);
    this.machine = new StateMachine(definition as never, {
      validationOptions: { checkArn: false, checkPaths: true },
    });
    this.arnPrefix = `arn:aws:states:local:000000000000:execution:${props.stateMachineName ?? 'scimitar'}`;
    for (const name of waits) this.handlers[name] = (input, signal) => waitOnClock(input, this.clock, signal);
    for (const [name, state] of allStates(definition.States)) {
      if (state.Type !== 'Task' || waits.has(name)) continue;
      const resource = state.Resource ?? '';
      if (resource.includes(':sqs:sendMessage.waitForTaskToken')) {
        const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : 60;
        this.handlers[name] = (input, signal) => this.sendAndWait(input, timeoutSeconds, signal);
      } else {
        const lambda = props.lambdas[resource] ?? props.lambdas[name];
        if (!lambda)
          throw new Error(`the workflow's Task state "${name}" (${resource}) has no local handler`);
        // As Lambda: the payload crosses a JSON boundary both ways.
        this.handlers[name] = (input) => {
          recordAwsCall({ action: 'lambda:InvokeFunction', resources: [resource] });
          const call = lambda(input).then((output) => JSON.parse(JSON.stringify(output ?? null)) as unknown);
          this.inFlight.add(call);
          void call.finally(() => this.inFlight.delete(call)).catch(() => {});
          return call;
        };
      }
    }
    this.loadJournal();
  }

  private readonly aborts = new Map<string, () => void>();
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Reads the journal: executions that were running when the runtime stopped are ABORTED. */
  private loadJournal(): void {
    const file = this.props.journal;
    if (!file || !existsSync(file)) return;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let entry: Omit<ExecutionRecord, 'done'>;
      try {
        entry = JSON.parse(line) as Omit<ExecutionRecord, 'done'>;
      } catch {
        continue; // a line cut short by a crash
      }
      const record: ExecutionRecord = { ...entry, done: Promise.resolve() };
      if (record.status === 'RUNNING') {
        record.status = 'ABORTED';
        record.error = 'LocalRuntimeStopped';
        record.cause = 'the local runtime stopped while this execution ran';
      }
      this.executions.set(record.name, record);
    }
  }

  private record(execution: ExecutionRecord): void {
    if (!this.props.journal) return;
    const { done: _done, ...entry } = execution;
    appendFileSync(this.props.journal, `${JSON.stringify(entry)}\n`);
  }

  async start(name: string, input: unknown): Promise<WorkflowStart> {
    recordAwsCall({
      action: 'states:StartExecution',
      resources: [localArns.stateMachine(this.props.stateMachineName ?? 'scimitar')],
    });
    const existing = this.executions.get(name);
    if (existing) return { executionArn: existing.executionArn, alreadyStarted: true };
    // The execution's states act as the state machine, not as the function that started it.
    const aborted = new AbortController();
    const handlers = Object.fromEntries(
      Object.entries(this.handlers).map(([state, handler]) => [
        state,
        (stateInput: unknown) => handler(stateInput, aborted.signal),
      ]),
    );
    const run = () =>
      this.machine.run(input as never, {
        noThrowOnAbort: true,
        overrides: { taskResourceLocalHandlers: handlers as never },
        context: { Task: { Token: TASK_TOKEN_PLACEHOLDER } },
      });
    const execution = this.props.acting ? actAs(this.props.acting, run) : run();
    const record: ExecutionRecord = {
      name,
      executionArn: `${this.arnPrefix}:${name}`,
      input,
      startedAt: new Date().toISOString(),
      status: 'RUNNING',
      done: execution.result
        .then(
          (output) => {
            if (record.status !== 'RUNNING') return; // aborted
            record.status = 'SUCCEEDED';
            record.output = output;
          },
          (err: Error & { cause?: unknown }) => {
            // aws-local-stepfunctions wraps the states' error in an ExecutionError; Step Functions
            // reports the inner error and cause (e.g. a Fail state's), as recorded here.
            const inner = err.name === 'ExecutionError' && err.cause instanceof Error ? err.cause : err;
            record.status = 'FAILED';
            record.error = inner.name;
            record.cause = inner.message;
          },
        )
        .finally(() => {
          aborted.abort(); // the execution's sleeps and task timeouts end with it
          this.aborts.delete(name);
          record.stoppedAt = new Date().toISOString();
          this.record(record);
          this.props.onExecutionEnd?.(record);
        }),
    };
    this.executions.set(name, record);
    this.aborts.set(name, () => {
      record.status = 'ABORTED';
      record.error = 'LocalRuntimeStopped';
      record.cause = 'the local runtime stopped while this execution ran';
      aborted.abort();
      execution.abort();
    });
    this.record(record);
    return { executionArn: record.executionArn, alreadyStarted: false };
  }

  /**
   * Aborts running executions (as the end of the process would) and waits for the Lambda
   * handlers in flight, so nothing writes after the stores close.
   */
  async stop(): Promise<void> {
    for (const abort of [...this.aborts.values()]) abort();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Resolves when every execution started so far has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  private async sendAndWait(input: unknown, timeoutSeconds: number, signal: AbortSignal): Promise<unknown> {
    const { QueueUrl, MessageBody } = input as { QueueUrl: string; MessageBody: unknown };
    const { token, settled } = this.props.tokens.issue();
    // When the state times out (by the runtime's clock), nobody waits for this token any more: a
    // late callback must see TaskNotWaitingError, as with Step Functions.
    const answered = new AbortController();
    const stopTimer = () => answered.abort();
    signal.addEventListener('abort', stopTimer, { once: true });
    this.clock.sleep(timeoutSeconds * 1000, answered.signal).then(
      () =>
        this.props.tokens.abandon(
          token,
          new TaskFailedError('States.Timeout', `the lane did not answer within ${timeoutSeconds} s`),
        ),
      () => {}, // answered, or the execution ended
    );
    settled.then(stopTimer, stopTimer).finally(() => signal.removeEventListener('abort', stopTimer));
    const body = replaceToken(MessageBody, token);
    await this.props.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.props.queueUrlFor(QueueUrl),
        MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );
    return settled;
  }
}
