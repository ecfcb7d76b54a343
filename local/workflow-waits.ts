// The workflow's Wait states on the runtime's clock. aws-local-stepfunctions sleeps on Node's
// timers (a wait beyond 2^31-1 ms, about 24.8 days, fires at once) and offers no clock of its
// own, so each Wait state runs as a Task whose local handler sleeps on the runtime's clock. The
// Task's Parameters hand it the state's input and its time, evaluated by the library as the Wait
// would; the handler returns the input, so the state's output is a Wait's.
import { MAX_LOCAL_TIMEOUT_SECONDS } from '../lib/asl.ts';
import { type LocalClock, SleepAbortedError } from './clock.ts';
import { TaskFailedError } from './task-tokens.ts';
import type { AslDefinition, AslState } from './workflow.ts';

/** The Resource of a Wait state turned Task (never called: its local handler runs instead). */
export const CLOCKED_WAIT_RESOURCE = 'arn:aws:states:::scimitar-local:wait';

interface ClockedWaitParameters {
  readonly input: unknown;
  readonly seconds?: unknown;
  readonly until?: unknown;
}

function timeOf(state: AslState): Record<string, unknown> {
  if (state.Seconds !== undefined) return { seconds: state.Seconds };
  if (typeof state.SecondsPath === 'string') return { 'seconds.$': state.SecondsPath };
  if (state.Timestamp !== undefined) return { until: state.Timestamp };
  if (typeof state.TimestampPath === 'string') return { 'until.$': state.TimestampPath };
  throw new Error('a Wait state needs Seconds, SecondsPath, Timestamp or TimestampPath');
}

function asTask(state: AslState): AslState {
  const { Type: _type, Seconds: _s, SecondsPath: _sp, Timestamp: _t, TimestampPath: _tp, ...rest } = state;
  return {
    ...rest,
    Type: 'Task',
    Resource: CLOCKED_WAIT_RESOURCE,
    // `$` after InputPath, as the Wait's paths are read.
    Parameters: { 'input.$': '$', ...timeOf(state) },
    // The library times a Task out on Node's timers too; the clock, not this, ends the wait.
    TimeoutSeconds: MAX_LOCAL_TIMEOUT_SECONDS,
  };
}

function rewrite(states: Record<string, AslState>, waits: Set<string>): Record<string, AslState> {
  return Object.fromEntries(
    Object.entries(states).map(([name, state]) => {
      if (state.Type === 'Wait') {
        waits.add(name);
        return [name, asTask(state)];
      }
      const nested: Partial<AslState> = {};
      if (state.ItemProcessor)
        nested.ItemProcessor = { ...state.ItemProcessor, States: rewrite(state.ItemProcessor.States, waits) };
      if (state.Iterator)
        nested.Iterator = { ...state.Iterator, States: rewrite(state.Iterator.States, waits) };
      if (state.Branches)
        nested.Branches = state.Branches.map((b) => ({ ...b, States: rewrite(b.States, waits) }));
      return [name, { ...state, ...nested }];
    }),
  );
}

/** The definition with every Wait state (nested ones too) as a clocked Task, and their names. */
export function clockedWaits(definition: AslDefinition): { definition: AslDefinition; waits: Set<string> } {
  const waits = new Set<string>();
  return { definition: { ...definition, States: rewrite(definition.States, waits) }, waits };
}

/** A failure the Wait state itself would raise for a bad time, as Step Functions names it. */
function runtimeError(message: string): TaskFailedError {
  return new TaskFailedError('States.Runtime', message);
}

/** The local handler of a clocked Wait: sleeps until its time by `clock`, then passes its input on. */
export async function waitOnClock(
  parameters: unknown,
  clock: LocalClock,
  signal: AbortSignal,
): Promise<unknown> {
  const { input, seconds, until } = parameters as ClockedWaitParameters;
  let due: number;
  if (until !== undefined) {
    due = typeof until === 'string' ? Date.parse(until) : Number.NaN;
    if (Number.isNaN(due))
      throw runtimeError(`the Wait state's timestamp is not a date: ${JSON.stringify(until)}`);
  } else {
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0)
      throw runtimeError(
        `the Wait state's seconds are not a whole number of 0 or more: ${JSON.stringify(seconds)}`,
      );
    due = clock.nowMs() + seconds * 1000;
  }
  try {
    await clock.sleepUntil(due, signal);
  } catch (err) {
    // The execution ended (stopped): as the library's own Wait, return and let the abort win.
    if (!(err instanceof SleepAbortedError)) throw err;
  }
  return input;
}
