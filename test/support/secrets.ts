// Asserts that nothing a caller can see (message, cause chain, own properties, JSON) holds a secret.
import { inspect } from 'node:util';
import { expect } from 'vitest';

export function expectNoSecret(value: unknown, secrets: readonly string[]): void {
  const views = [inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true }), safeJson(value)];
  if (value instanceof Error) views.push(String(value.stack), String(value.message));
  for (const secret of secrets) {
    for (const view of views) expect(view).not.toContain(secret);
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, Object.getOwnPropertyNames(value ?? {})) ?? '';
  } catch {
    return '';
  }
}
