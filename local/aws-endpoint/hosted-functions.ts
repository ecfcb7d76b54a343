// The functions the local runtime hosts, by the physical name the stack's outputs give them:
// what Lambda's Invoke reaches. The runtime registers each function's handler by its entry
// (`canary`, `reconcile`, `operator`...); a caller names it as on AWS, by name or by ARN.
import type { LocalStack } from '../../lib/asl.ts';
import { localFunctionNames } from './names.ts';
import { AwsApiError } from './protocol.ts';

/** A hosted function's handler: a JSON payload in, a JSON answer out (or a thrown function error). */
export type HostedHandler = (payload: unknown) => Promise<unknown>;

export class HostedFunctions {
  /** Physical name → entry. */
  private readonly entries = new Map<string, string>();
  private readonly handlers = new Map<string, HostedHandler>();

  constructor(stack: Pick<LocalStack, 'templates' | 'functions'>, stackName: string) {
    const names = localFunctionNames(stack, stackName);
    for (const [placeholder, fn] of Object.entries(stack.functions)) {
      const name = names.get(placeholder);
      if (name) this.entries.set(name, fn.entry);
    }
  }

  /** Makes the stack's function of this entry invocable; a second registration replaces the first. */
  register(entry: string, handler: HostedHandler): void {
    if (![...this.entries.values()].includes(entry))
      throw new Error(
        `the stack has no ${entry} function to host (entries: ${[...new Set(this.entries.values())].join(', ')})`,
      );
    this.handlers.set(entry, handler);
  }

  /** The physical name of the function of an entry. */
  nameOf(entry: string): string | undefined {
    return [...this.entries].find(([, e]) => e === entry)?.[0];
  }

  /** Physical names of the functions that can be invoked. */
  invocable(): string[] {
    return [...this.entries].filter(([, entry]) => this.handlers.has(entry)).map(([name]) => name);
  }

  /**
   * The handler of a function named as Lambda accepts it (name, partial or full ARN, `:qualifier`
   * ignored); ResourceNotFoundException as Lambda's when the stack has none or the runtime does
   * not host it.
   */
  resolve(functionName: string): HostedHandler {
    const parts = functionName.split(':');
    const at = parts.indexOf('function');
    const name = at >= 0 ? (parts[at + 1] ?? '') : (parts[0] ?? '');
    const entry = this.entries.get(name);
    const handler = entry === undefined ? undefined : this.handlers.get(entry);
    if (!handler) {
      const hosted = this.invocable().join(', ') || 'none';
      throw new AwsApiError(
        'ResourceNotFoundException',
        entry === undefined
          ? `Function not found: ${functionName} (the local runtime hosts: ${hosted})`
          : `Function ${name} (${entry}) is not invocable in the local runtime (invocable: ${hosted})`,
        404,
      );
    }
    return handler;
  }
}
