// Types of process-tree.mjs (plain JavaScript: it runs before any TypeScript tooling exists).
export function descendantsOf(pid: number | undefined): number[];
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void;
export function endAll(pids: readonly number[], graceMs: number): Promise<void>;
export function watchParent(onGone: () => void, everyMs?: number): () => void;
