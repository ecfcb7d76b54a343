// Over 300 lines: one parser with its field table; the rescind shares its private helpers (event id, dates).
// The BambooHR payload parser: a field-based webhook delivery holds several employees; each becomes
// a termination event, is ignored (not a termination) or is rejected with the problems found.
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ValidationError } from '../model/errors.ts';
import {
  emailSchema,
  type LifecycleEvent,
  type LifecycleEventInput,
  parseLifecycleEvent,
} from '../model/event.ts';
import { describeIssues, parseOrThrow } from '../model/validation.ts';
import { type DeliveryContext, isRecord, type ParsedDelivery, type PayloadParser } from './delivery.ts';

// BambooHR field-based webhook: {"employees":[{"id","action","timestamp","changedFields","fields"}]}.
// Field names are BambooHR's English names unless the webhook renames them, so lookups ignore case,
// spaces and punctuation and accept the API aliases too ("Work Email", "workEmail").

/** The BambooHR fields scimitar reads, by the normalised names it accepts for each. */
export const bambooHRFields = {
  employmentStatus: ['employmentstatus', 'employmenthistorystatus'],
  employmentStatusDate: ['employmentstatusdate'],
  terminationDate: ['terminationdate'],
  terminationType: ['terminationtype', 'employmentstatusterminationtype'],
  status: ['status'],
  workEmail: ['workemail'],
  employeeNumber: ['employee', 'employeenumber'],
  firstName: ['firstname'],
  lastName: ['lastname'],
  preferredName: ['preferredname'],
  displayName: ['displayname'],
} as const satisfies Record<string, readonly string[]>;
type BambooHRField = keyof typeof bambooHRFields;

/** A change to one of these may be a termination; a change only elsewhere (job title) is not. */
const TERMINATION_FIELDS: readonly BambooHRField[] = [
  'employmentStatus',
  'employmentStatusDate',
  'terminationDate',
  'terminationType',
  'status',
];

/** Most employees one delivery may carry. */
export const MAX_BAMBOOHR_EMPLOYEES = 1000;

const normaliseName = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

// PHP-style empty collections: BambooHR posts `[]` where an empty object is meant, and vice versa.
const emptyToObject = (v: unknown) => (Array.isArray(v) && v.length === 0 ? {} : v);
const emptyToArray = (v: unknown) => (isRecord(v) && Object.keys(v).length === 0 ? [] : v);

const bambooHREmployeeSchema = z.looseObject({
  id: z.union([z.string().trim().min(1, 'must not be empty'), z.number().int().nonnegative()]),
  action: z.string().optional(),
  timestamp: z.string().optional(),
  changedFields: z.preprocess(emptyToArray, z.array(z.string()).max(1000).optional()),
  fields: z.preprocess(emptyToObject, z.record(z.string(), z.unknown()).optional()),
});
type BambooHREmployee = z.output<typeof bambooHREmployeeSchema>;

const bambooHRDeliverySchema = z.looseObject({
  employees: z
    .array(z.unknown())
    .min(1, 'must list at least one employee')
    .max(MAX_BAMBOOHR_EMPLOYEES, `must list at most ${MAX_BAMBOOHR_EMPLOYEES} employees`),
});

/** A posted field value as text: BambooHR posts strings, sometimes numbers or `{ "value": ... }`. */
function fieldText(value: unknown): string | undefined {
  const inner = isRecord(value) && 'value' in value ? value.value : value;
  if (typeof inner === 'number' && Number.isFinite(inner)) return String(inner);
  if (typeof inner !== 'string') return undefined;
  const text = inner.trim();
  // BambooHR writes an unset date as 0000-00-00.
  return text.length === 0 || text === '0000-00-00' ? undefined : text;
}

function readFields(fields: Record<string, unknown> | undefined): Map<BambooHRField, string> {
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(fields ?? {})) {
    const text = fieldText(value);
    if (text !== undefined) byName.set(normaliseName(name), text);
  }
  const read = new Map<BambooHRField, string>();
  for (const [field, names] of Object.entries(bambooHRFields) as [BambooHRField, readonly string[]][]) {
    const hit = names.map((n) => byName.get(n)).find((v) => v !== undefined);
    if (hit !== undefined) read.set(field, hit);
  }
  return read;
}

function changedFieldsOf(employee: BambooHREmployee): Set<BambooHRField | string> {
  const changed = new Set<BambooHRField | string>();
  for (const name of employee.changedFields ?? []) {
    const normal = normaliseName(name);
    const field = (Object.keys(bambooHRFields) as BambooHRField[]).find((f) =>
      (bambooHRFields[f] as readonly string[]).includes(normal),
    );
    changed.add(field ?? normal);
  }
  return changed;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date (YYYY-MM-DD) as the instant it begins, UTC; undefined when not such a date. */
function startOfDate(text: string): string | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const iso = `${text}T00:00:00Z`;
  const date = new Date(iso);
  // Reject 2026-02-30 and the like, which Date would roll over.
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text ? iso : undefined;
}

/** BambooHR's `2026-01-31T18:42:00+0000` as an ISO 8601 instant zod accepts, or undefined. */
function isoInstant(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const withColon = text.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/.test(withColon);
  return ok && !Number.isNaN(new Date(withColon).getTime()) ? withColon : undefined;
}

// Control characters, non-characters and unpaired surrogates: what no queue or log should carry.
const CONTROL = /[\p{Cc}\p{Noncharacter_Code_Point}\p{Cs}]/gu;

function displayNameOf(fields: Map<BambooHRField, string>): string | undefined {
  const given = fields.get('preferredName') ?? fields.get('firstName');
  const composed = fields.get('displayName') ?? [given, fields.get('lastName')].filter(Boolean).join(' ');
  // A display name is cosmetic: a stray control character or non-character must not block a revocation.
  const spaced = composed.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  // Cut by characters, not UTF-16 units: half an emoji would be an unpaired surrogate.
  const clean = Array.from(spaced).slice(0, 200).join('').trim();
  return clean.length > 0 ? clean : undefined;
}

function terminationTypeOf(text: string | undefined): 'voluntary' | 'involuntary' {
  // Anything but an explicit "Voluntary" (missing, Death, Other) counts as involuntary: the urgent case.
  return text !== undefined && /^\s*voluntary\b/i.test(text) ? 'voluntary' : 'involuntary';
}

/** Same employee, same status, same date, same changed fields: same event id, so a redelivery dedupes. */
function bambooHREventId(
  sourceId: string,
  employeeId: string,
  fields: Map<BambooHRField, string>,
  changed: Set<string>,
): string {
  const fingerprint = JSON.stringify([
    employeeId,
    fields.get('employmentStatus') ?? null,
    fields.get('terminationDate') ?? null,
    [...changed].sort(),
  ]);
  const digest = createHash('sha256').update(fingerprint).digest('hex').slice(0, 24);
  return `${sourceId}:${employeeId.slice(0, 100)}:${digest}`;
}

type EmployeeOutcome =
  | { kind: 'event'; event: LifecycleEvent }
  | { kind: 'ignored'; reason: string }
  | { kind: 'rejected'; problems: string[] };

function parseBambooHREmployee(employee: BambooHREmployee, context: DeliveryContext): EmployeeOutcome {
  const employeeId = String(employee.id);
  const action = employee.action?.trim().toLowerCase();
  if (action === 'created' || action === 'deleted') {
    return { kind: 'ignored', reason: `action "${employee.action}" carries no termination` };
  }
  const fields = readFields(employee.fields);
  const changed = changedFieldsOf(employee);
  const terminationChanged = changed.size === 0 || TERMINATION_FIELDS.some((field) => changed.has(field));
  const employmentStatus = fields.get('employmentStatus');
  const terminationDate = fields.get('terminationDate');

  // Employment Status decides when posted (a rehire may keep an old Termination Date);
  // otherwise a Termination Date marks the termination.
  const terminated =
    employmentStatus !== undefined ? /^terminated$/i.test(employmentStatus) : terminationDate !== undefined;
  if (!terminated) {
    // Status back to active, or the Termination Date cleared: HR took the termination back.
    const statusBack =
      employmentStatus !== undefined && (changed.has('employmentStatus') || changed.has('status'));
    const dateCleared = changed.has('terminationDate') && postedEmpty(employee.fields, 'terminationDate');
    if (statusBack || dateCleared) return rescindOf(employee, fields, changed, context);
    if (employmentStatus === undefined && terminationChanged && changed.size > 0) {
      return {
        kind: 'rejected',
        problems: [
          `a termination field changed (${[...changed].join(', ')}) but the webhook posts neither ` +
            '"Employment Status" nor "Termination Date": add both to the fields BambooHR posts',
        ],
      };
    }
    return {
      kind: 'ignored',
      reason:
        employmentStatus !== undefined
          ? `not a termination: Employment Status is "${employmentStatus.slice(0, 64)}"`
          : 'not a termination: no Employment Status or Termination Date posted',
    };
  }
  if (!terminationChanged) {
    return {
      kind: 'ignored',
      reason: `already terminated; this change touched only ${[...changed].join(', ')}`.slice(0, 300),
    };
  }

  const problems: string[] = [];
  const occurredAt = isoInstant(employee.timestamp) ?? (context.signedAt ?? context.receivedAt).toISOString();
  let effectiveAt = occurredAt;
  for (const field of ['terminationDate', 'employmentStatusDate'] as const) {
    const text = fields.get(field);
    if (text === undefined) continue;
    const start = startOfDate(text);
    if (start === undefined) {
      problems.push(
        `field "${field}": must be a date as YYYY-MM-DD; got ${JSON.stringify(text.slice(0, 40))}`,
      );
    } else {
      effectiveAt = start;
    }
    break;
  }
  if (problems.length > 0) return { kind: 'rejected', problems };

  const workEmail = fields.get('workEmail');
  // userName is the Work Email: an unusable address is no userName either (it could match a wrong account).
  const workEmailUsable = workEmail !== undefined && emailSchema.safeParse(workEmail).success;
  const displayName = displayNameOf(fields);
  const input: LifecycleEventInput = {
    eventId: bambooHREventId(context.source.id, employeeId, fields, changed),
    source: context.source.id,
    occurredAt,
    effectiveAt,
    kind: 'termination',
    terminationType: terminationTypeOf(fields.get('terminationType')),
    person: {
      employeeId,
      ...(workEmail !== undefined && { emails: [workEmail] }),
      ...(workEmailUsable && { userName: workEmail }),
      ...(fields.has('employeeNumber') && { externalId: fields.get('employeeNumber') }),
      ...(displayName !== undefined && { displayName }),
    },
    raw: employee,
  };
  try {
    const event = parseLifecycleEvent(input);
    if (workEmail !== undefined && !workEmailUsable) {
      event.unusableMatchFields = [
        ...(event.unusableMatchFields ?? []),
        {
          attribute: 'userName',
          field: 'person.userName',
          problem: 'comes from the Work Email, which is unusable (see person.emails[0])',
        },
      ];
    }
    return { kind: 'event', event };
  } catch (err) {
    if (err instanceof ValidationError) return { kind: 'rejected', problems: [...err.problems] };
    throw err;
  }
}

/** Whether the delivery posts `field` with no value (empty, or BambooHR's 0000-00-00). */
function postedEmpty(posted: Record<string, unknown> | undefined, field: BambooHRField): boolean {
  const names = bambooHRFields[field] as readonly string[];
  return Object.entries(posted ?? {}).some(
    ([name, value]) => names.includes(normaliseName(name)) && fieldText(value) === undefined,
  );
}

/**
 * A rescind: the employee is no longer terminated (status back to active, or the Termination Date
 * cleared). It cancels the person's pending termination, if any; with none pending it changes nothing.
 */
function rescindOf(
  employee: BambooHREmployee,
  fields: Map<BambooHRField, string>,
  changed: Set<string>,
  context: DeliveryContext,
): EmployeeOutcome {
  const employeeId = String(employee.id);
  const occurredAt = isoInstant(employee.timestamp) ?? (context.signedAt ?? context.receivedAt).toISOString();
  try {
    const event = parseLifecycleEvent({
      eventId: bambooHREventId(context.source.id, employeeId, fields, changed),
      source: context.source.id,
      occurredAt,
      kind: 'rescind',
      person: { employeeId },
      raw: employee,
    });
    return { kind: 'event', event };
  } catch (err) {
    if (err instanceof ValidationError) return { kind: 'rejected', problems: [...err.problems] };
    throw err;
  }
}

export const parseBambooHRPayload: PayloadParser = (payload, context) => {
  if (isRecord(payload) && 'type' in payload && 'data' in payload && !('employees' in payload)) {
    throw new ValidationError('invalid BambooHR delivery', [
      'this is an Event-Based webhook payload, which carries no field values: edit the webhook in ' +
        'BambooHR and choose the Field-Based data structure, posting Employment Status and Termination Date',
    ]);
  }
  const delivery = parseOrThrow(bambooHRDeliverySchema, payload, 'invalid BambooHR delivery');
  const parsed: ParsedDelivery = { events: [], ignored: [], rejected: [] };
  delivery.employees.forEach((item, i) => {
    const result = bambooHREmployeeSchema.safeParse(item, { reportInput: true });
    if (!result.success) {
      parsed.rejected.push({
        reference: `employees[${i}]`,
        problems: describeIssues(result.error.issues, item),
      });
      return;
    }
    const reference = `employees[${i}] (id ${String(result.data.id).slice(0, 64)})`;
    const outcome = parseBambooHREmployee(result.data, context);
    if (outcome.kind === 'event') parsed.events.push(outcome.event);
    else if (outcome.kind === 'ignored') parsed.ignored.push({ reference, reason: outcome.reason });
    else parsed.rejected.push({ reference, problems: outcome.problems });
  });
  return parsed;
};
