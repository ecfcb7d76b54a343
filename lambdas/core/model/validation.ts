// Turns zod issues into messages a person can act on: where (naming the target by id when the
// path goes through one), the value given, and what is allowed.
import type { z } from 'zod';
import { closestName } from './did-you-mean.ts';
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

type SchemaNode = { _zod?: { def?: Record<string, unknown> & { type?: string } } };

/** The schemas a value at `path` may be checked against (several where a union does not decide). */
function schemasAt(schema: unknown, input: unknown, path: readonly PropertyKey[]): SchemaNode[] {
  const def = (schema as SchemaNode)?._zod?.def;
  if (!def) return [];
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return schemasAt(def.innerType, input, path);
    case 'pipe': {
      // A preprocess (a transform into a schema, e.g. a target's preset): the schema after it decides.
      const first = (def.in as SchemaNode)?._zod?.def;
      return schemasAt(first?.type === 'transform' ? def.out : def.in, input, path);
    }
    case 'lazy':
      return schemasAt((def.getter as () => unknown)(), input, path);
    case 'union': {
      const options = def.options as unknown[];
      // A discriminated union: the option whose literal fields match the input, else all of them.
      const matching = options.filter((option) => literalsMatch(option, input));
      return (matching.length > 0 ? matching : options).flatMap((o) => schemasAt(o, input, path));
    }
    case 'intersection':
      return [...schemasAt(def.left, input, path), ...schemasAt(def.right, input, path)];
    default:
      break;
  }
  if (path.length === 0) return [schema as SchemaNode];
  const [key, ...rest] = path;
  const child =
    input && typeof input === 'object'
      ? (input as Record<PropertyKey, unknown>)[key as PropertyKey]
      : undefined;
  if (def.type === 'object') {
    const shape = def.shape as Record<string, unknown>;
    return typeof key === 'string' && key in shape ? schemasAt(shape[key], child, rest) : [];
  }
  if (def.type === 'array') return schemasAt(def.element, child, rest);
  if (def.type === 'record') return schemasAt(def.valueType, child, rest);
  return [];
}

function literalsMatch(option: unknown, input: unknown): boolean {
  const def = (option as SchemaNode)?._zod?.def;
  if (def?.type !== 'object' || !input || typeof input !== 'object') return false;
  const literals = Object.entries(def.shape as Record<string, SchemaNode>).filter(
    ([, field]) => field?._zod?.def?.type === 'literal',
  );
  return (
    literals.length > 0 &&
    literals.every(([name, field]) =>
      ((field._zod?.def?.values as unknown[]) ?? []).includes((input as Record<string, unknown>)[name]),
    )
  );
}

/** The keys an object schema at `path` allows. */
export function knownKeys(schema: unknown, input: unknown, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const node of schemasAt(schema, input, path)) {
    const def = node._zod?.def;
    if (def?.type === 'object') for (const key of Object.keys(def.shape as object)) keys.add(key);
  }
  return [...keys];
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * One line per problem. With the schema, an unknown key is named by its own path, with the
 * closest allowed key when it looks like a typo.
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  schema?: z.ZodType,
): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const allowed = schema ? knownKeys(schema, input, issue.path) : [];
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        const where = owner(input, path);
        const field = pathText(where ? where.rest : path);
        const prefix = where ? `${where.label} field "${field}"` : `field "${field}"`;
        const closest = closestName(key, allowed);
        const hint = closest
          ? `; did you mean "${closest}"?`
          : allowed.length > 0
            ? `; allowed here: ${allowed.join(', ')}`
            : '';
        return `${prefix}: unknown field (given ${show(valueAt(input, path))})${hint}`;
      });
    }
    const where = owner(input, issue.path);
    const field = pathText(where ? where.rest : issue.path) || '(top level)';
    const prefix = where ? `${where.label} field "${field}"` : `field "${field}"`;
    const given = 'input' in issue ? show(issue.input) : undefined;
    return [
      given === undefined ? `${prefix}: ${issue.message}` : `${prefix}: ${issue.message}; got ${given}`,
    ];
  });
}

/** Parses `input` or throws a ValidationError listing every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, subject: string): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new ValidationError(subject, describeIssues(result.error.issues, input, schema), {
    cause: result.error,
  });
}
