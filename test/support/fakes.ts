// Small, honest in-memory fakes of the ports for unit tests and the local runtime: each behaves
// like the AWS service behind its adapter where tests rely on it (append-only audit, execution
// names that dedupe, a secret cache that serves the old value until refreshed).

import { SecretSource } from '../../lambdas/core/credentials/secret-source.ts';
import { type WorkflowStart, WorkflowStarter } from '../../lambdas/core/ingest/ports.ts';
import { type AuditEntry, compareAuditEntries } from '../../lambdas/core/model/audit.ts';
import { AuditEntryExistsError, AuditLog } from '../../lambdas/core/model/ports.ts';

/** Append-only, like the DynamoDB table: a second entry with the same key is refused. */
export class InMemoryAuditLog extends AuditLog {
  readonly entries: AuditEntry[] = [];

  async append(entry: AuditEntry): Promise<void> {
    if (this.entries.some((e) => e.eventId === entry.eventId && e.entryId === entry.entryId)) {
      throw new AuditEntryExistsError(entry.eventId, entry.entryId);
    }
    // A copy, so later mutation by the caller cannot rewrite the evidence.
    this.entries.push(structuredClone(entry));
  }

  async forEvent(eventId: string): Promise<AuditEntry[]> {
    return this.sorted((e) => e.eventId === eventId);
  }

  async forPerson(personId: string): Promise<AuditEntry[]> {
    return this.sorted((e) => e.personId === personId);
  }

  private sorted(match: (e: AuditEntry) => boolean): AuditEntry[] {
    return this.entries
      .filter(match)
      .sort(compareAuditEntries)
      .map((e) => structuredClone(e));
  }
}

export interface FakeExecution {
  name: string;
  executionArn: string;
  input: unknown;
}

/**
 * Behaves like Step Functions' name dedupe: a second start with a known name starts nothing and
 * answers with the existing execution. `failNext` makes the next start throw (a throttle, an outage).
 */
export class InMemoryWorkflowStarter extends WorkflowStarter {
  readonly executions: FakeExecution[] = [];
  startCalls = 0;
  private failures: Error[] = [];

  constructor(
    private readonly stateMachineArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:scimitar',
  ) {
    super();
  }

  failNext(error: Error = new Error('ThrottlingException: rate exceeded')): void {
    this.failures.push(error);
  }

  async start(name: string, input: unknown): Promise<WorkflowStart> {
    this.startCalls++;
    const failure = this.failures.shift();
    if (failure) throw failure;
    const existing = this.executions.find((e) => e.name === name);
    if (existing) return { executionArn: existing.executionArn, alreadyStarted: true };
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    this.executions.push({ name, executionArn, input: structuredClone(input) });
    return { executionArn, alreadyStarted: false };
  }
}

/**
 * Secrets with a cache: `read` serves the value it last fetched until `refresh` is asked for, so a
 * `rotate` is seen only after a refresh, as with a cached Secrets Manager read.
 */
export class InMemorySecretSource extends SecretSource {
  reads = 0;
  refreshes = 0;
  private readonly current = new Map<string, string>();
  private readonly cached = new Map<string, string>();

  constructor(secrets: Record<string, string> = {}) {
    super();
    for (const [name, value] of Object.entries(secrets)) this.current.set(name, value);
  }

  rotate(name: string, value: string): void {
    this.current.set(name, value);
  }

  async read(name: string, options?: { refresh?: boolean }): Promise<string> {
    this.reads++;
    if (options?.refresh) this.refreshes++;
    const cached = this.cached.get(name);
    if (cached !== undefined && !options?.refresh) return cached;
    const value = this.current.get(name);
    if (value === undefined) throw new Error(`secret ${name} does not exist`);
    this.cached.set(name, value);
    return value;
  }
}
