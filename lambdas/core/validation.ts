// Turns zod issues into messages a person can act on: where (naming the target by id when the
// path goes through one), the value given, and what is allowed.
import type { z } from 'zod';
import { ValidationError } from './errors.ts';

const MAX_SHOWN = 80;

// JSON.stringify escapes C0 controls and unpaired surrogates, not these: a message that shows a
// value must stay safe to log and to carry in a queue message (SQS refuses U+FFFE and U+FFFF).
const UNSHOWABLE = /[\p{Cc}\p{Noncharacter_Code_Point}]/gu;
const escapeUnshowable = (text: string) =>
  text.replace(UNSHOWABLE, (c) => {
    const point = c.codePointAt(0) ?? 0;
    return point > 0xffff ? `\\u{${point.toString(16)}}` : `\\u${point.toString(16).padStart(4, '0')}`;
  });

function show(value: unknown): string {
  return escapeUnshowable(shown(value));
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    return value.length > MAX_SHOWN
      ? `${JSON.stringify(value.slice(0, MAX_SHOWN))}… (${value.length} chars)`
      : JSON.stringify(value);
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}… (${text.length} chars)` : text;
}

function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** The item of a list (e.g. a target) that a path points into, named by its `id` when it has one. */
function owner(
  input: unknown,
  path: readonly PropertyKey[],
): { label: string; rest: readonly PropertyKey[] } | null {
  let node: unknown = input;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    if (node === null || typeof node !== 'object') return null;
    node = (node as Record<PropertyKey, unknown>)[key as PropertyKey];
    if (typeof key === 'number' && i > 0 && node && typeof node === 'object') {
      const id = (node as { id?: unknown }).id;
      const collection = String(path[i - 1]).replace(/s$/, '');
      const label =
        typeof id === 'string' && id.length > 0
          ? `${collection} "${id}" (${pathText(path.slice(0, i + 1))})`
          : `${collection} ${pathText(path.slice(0, i + 1))}`;
      return { label, rest: path.slice(i + 1) };
    }
  }
  return null;
}

export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    const where = owner(input, issue.path);
    const field = pathText(where ? where.rest : issue.path) || '(top level)';
    const prefix = where ? `${where.label} field "${field}"` : `field "${field}"`;
    const given = 'input' in issue ? show(issue.input) : undefined;
    return given === undefined ? `${prefix}: ${issue.message}` : `${prefix}: ${issue.message}; got ${given}`;
  });
}

/** Parses `input` or throws a ValidationError listing every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, subject: string): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new ValidationError(subject, describeIssues(result.error.issues, input), { cause: result.error });
}
