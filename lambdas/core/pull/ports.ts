// Ports of the pulls: where a Workday poll keeps its cursor (the state table on AWS,
// `PULL#<sourceId>` / `CURSOR`). Abstract classes, as in model/ports.ts; the DynamoDB adapter
// lives in lambdas/aws/adapters/dynamo-poll-cursors.ts.

/** How far a source's terminations have been read. */
export interface PollCursor {
  readonly sourceId: string;
  /** The end of the last window read in full: the next window starts at this minus the overlap. */
  readonly through: string;
  /** Ids of the events read within the overlap before `through`: the next poll skips them. */
  readonly recent: readonly string[];
  /** Compare-and-set version; 0 when the source was never polled. */
  readonly version: number;
}

export abstract class PollCursors {
  /** The source's cursor; `{ version: 0 }` with no `through` when never polled. */
  abstract read(sourceId: string): Promise<PollCursor | undefined>;
  /**
   * Saves the cursor when the stored version is still `expectedVersion` (0: none stored).
   * @returns false when another poll moved it first
   */
  abstract advance(cursor: Omit<PollCursor, 'version'>, expectedVersion: number): Promise<boolean>;
}
