// The HR roster: the people who are active today, as an HRIS export says. The reconciler calls an
// account an orphan when it matches nobody here. Parsed from JSON or CSV (API upload, local file),
// validated as a whole: a roster with one bad row is refused, never half-applied.

import { countOf } from '../model/count-noun.ts';
import { ScimitarError, ValidationError } from '../model/errors.ts';
import { type Person, personSchema } from '../model/event.ts';
import { PERSON_ATTRIBUTE_KEY, PERSON_ATTRIBUTE_KEY_RULE } from '../model/person-attributes.ts';
import { describeIssues } from '../model/validation.ts';

/** A roster larger than this is refused: it would not fit a reconciler's memory comfortably. */
export const MAX_ROSTER_PEOPLE = 500_000;
/** Problems listed per refused roster; the rest are counted. */
const MAX_PROBLEMS = 20;
/** Rows named per repeated employeeId; the rest are counted. */
const MAX_ROWS_NAMED = 10;
/** The HRIS clock and ours may disagree a little. */
const FUTURE_SKEW_MS = 5 * 60_000;

export interface Roster {
  /** When the export was taken: a leaver recorded after this is still in it, and still a leaver. */
  readonly asOf: string;
  readonly people: readonly Person[];
}

export type RosterFormat = 'json' | 'csv';

/** An upload older than the roster in place, or one that lost a race with another upload. */
export class RosterConflictError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RosterConflictError';
  }
}

/** An employeeId that more than one row of a roster holds. */
export interface RosterDuplicate {
  readonly employeeId: string;
  /**
   * Where it appears: `line <n>` in CSV (the physical line the row starts on), `people[<i>]` in
   * JSON; the first ten rows, in file order.
   */
  readonly rows: readonly string[];
  /** Rows holding it, all told. */
  readonly count: number;
}

/**
 * A roster refused as a whole. `problems` has one line per problem, each naming the row (CSV line,
 * JSON index) and the field; `duplicates` has the employeeIds held by more than one row (as many
 * as problems are listed), so a caller can show them apart. The upload API answers 400 with both.
 */
export class RosterInvalidError extends ValidationError {
  readonly duplicates: readonly RosterDuplicate[];

  constructor(
    problems: readonly string[],
    duplicates: readonly RosterDuplicate[] = [],
    /** `subject` heads the message, e.g. naming the file. @default 'invalid roster' */
    options?: ErrorOptions & { subject?: string },
  ) {
    super(options?.subject ?? 'invalid roster', problems, options);
    this.name = 'RosterInvalidError';
    this.duplicates = duplicates;
  }
}

/** The roster cannot be used: missing, stale, or it changed while being read. */
export class RosterUnavailableError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RosterUnavailableError';
  }
}

const CSV_COLUMNS = ['employeeId', 'userName', 'emails', 'externalId', 'displayName'] as const;
/** A column `attributes.<key>` holds the person's attribute <key> (case kept: keys are case-sensitive). */
const ATTRIBUTE_COLUMN = /^attributes\.(.*)$/i;
type CsvColumn = (typeof CSV_COLUMNS)[number] | { readonly attribute: string };

/**
 * Parses and validates a roster. JSON: an array of people, or `{ asOf?, people }`, each person's
 * HR attributes in `attributes`. CSV: a header row naming any of employeeId, userName, emails
 * (several separated by `;`), externalId, displayName, and attributes as `attributes.<key>`
 * columns (e.g. attributes.department; an empty cell: the person has no such attribute).
 * @param asOf when the export was taken, unless the JSON says; @default now
 * @throws RosterInvalidError naming each bad row and field, and each repeated employeeId with its rows
 */
export function parseRoster(
  text: string,
  format: RosterFormat,
  options: { asOf?: string; now: Date },
): Roster {
  const rows = format === 'json' ? jsonRows(text) : csvRows(text);
  const asOf = checkAsOf(rows.asOf ?? options.asOf ?? options.now.toISOString(), options.now);
  return { asOf, people: validatePeople(rows) };
}

function jsonRows(text: string): RosterRows {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new RosterInvalidError([`body is not JSON: ${(err as Error).message}`]);
  }
  const where = (people: unknown[]) => people.map((_, i) => `people[${i}]`);
  if (Array.isArray(parsed)) return { people: parsed, where: where(parsed) };
  if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { people?: unknown }).people)) {
    const { people, asOf } = parsed as { people: unknown[]; asOf?: unknown };
    if (asOf !== undefined && typeof asOf !== 'string') {
      throw new RosterInvalidError(['field "asOf" must be an ISO 8601 date-time string']);
    }
    return { people, where: where(people), ...(asOf !== undefined && { asOf }) };
  }
  throw new RosterInvalidError([
    'JSON must be an array of people or an object { "asOf": "...", "people": [...] }',
  ]);
}

/** A CSV record and the line it starts on (1-based; a quoted field may span lines). */
export interface CsvRow {
  readonly line: number;
  readonly cells: string[];
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. Blank lines are skipped. */
export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const endRow = () => {
    cells.push(field);
    if (!(cells.length === 1 && cells[0]?.trim() === '')) rows.push({ line: rowLine, cells });
    cells = [];
    field = '';
  };
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a BOM, as spreadsheet exports write it
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        field += c;
      }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      cells.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += c;
  }
  if (quoted)
    throw new RosterInvalidError([
      `line ${rowLine}: a quoted field of this row never closes (the CSV ends inside it)`,
    ]);
  if (field !== '' || cells.length > 0) endRow();
  return rows;
}

/** Rows to validate, each with where it came from (`line <n>`, `people[<i>]`). */
interface RosterRows {
  readonly people: readonly unknown[];
  readonly where: readonly string[];
  readonly asOf?: string;
}

function csvRows(text: string): RosterRows {
  const [header, ...body] = parseCsv(text);
  if (!header) throw new RosterInvalidError(['CSV is empty; the first row must name the columns']);
  const columns = header.cells.map((name): CsvColumn => {
    const attribute = ATTRIBUTE_COLUMN.exec(name.trim());
    if (attribute) {
      const key = attribute[1] ?? '';
      if (!PERSON_ATTRIBUTE_KEY.test(key)) {
        throw new RosterInvalidError([
          `CSV column ${JSON.stringify(name)}: ${PERSON_ATTRIBUTE_KEY_RULE} after "attributes."`,
        ]);
      }
      return { attribute: key };
    }
    const known = CSV_COLUMNS.find((c) => c.toLowerCase() === name.trim().toLowerCase());
    if (!known) {
      throw new RosterInvalidError([
        `CSV column ${JSON.stringify(name)} is not known; allowed: ${CSV_COLUMNS.join(', ')}, and attributes.<key> (e.g. attributes.department)`,
      ]);
    }
    return known;
  });
  const names = columns.map((c) => (typeof c === 'string' ? c : `attributes.${c.attribute}`));
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated) {
    throw new RosterInvalidError([`CSV column ${repeated} appears twice; name each column once`]);
  }
  if (!columns.includes('employeeId')) {
    throw new RosterInvalidError(['CSV has no employeeId column']);
  }
  const people = body.map(({ line, cells }) => {
    if (cells.length !== columns.length) {
      throw new RosterInvalidError([
        `line ${line}: has ${cells.length} fields, the header (line ${header.line}) names ${columns.length}`,
      ]);
    }
    const person: Record<string, unknown> = {};
    const attributes: Record<string, string> = {};
    columns.forEach((column, c) => {
      const value = (cells[c] ?? '').trim();
      if (value === '') return;
      if (typeof column !== 'string') {
        attributes[column.attribute] = value;
        return;
      }
      person[column] =
        column === 'emails'
          ? value
              .split(/[;\s]+/)
              .map((e) => e.trim())
              .filter(Boolean)
          : value;
    });
    if (Object.keys(attributes).length > 0) person.attributes = attributes;
    return person;
  });
  return { people, where: body.map(({ line }) => `line ${line}`) };
}

function checkAsOf(asOf: string, now: Date): string {
  const at = Date.parse(asOf);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}T/.test(asOf)) {
    throw new RosterInvalidError([`asOf ${JSON.stringify(asOf)} is not an ISO 8601 date-time`]);
  }
  if (at > now.getTime() + FUTURE_SKEW_MS) {
    throw new RosterInvalidError([`asOf ${asOf} is in the future`]);
  }
  return new Date(at).toISOString();
}

function validatePeople({ people: rows, where }: RosterRows): Person[] {
  const problems: string[] = [];
  let more = 0;
  const problem = (text: string) => (problems.length < MAX_PROBLEMS ? problems.push(text) : more++);
  if (rows.length === 0)
    problem('the roster lists nobody; an empty roster would make every account an orphan');
  if (rows.length > MAX_ROSTER_PEOPLE)
    problem(`the roster lists ${rows.length} people; at most ${MAX_ROSTER_PEOPLE}`);
  const people: Person[] = [];
  const rowsOf = new Map<string, string[]>();
  rows.forEach((row, i) => {
    const at = where[i] ?? `row ${i + 1}`;
    const parsed = personSchema.safeParse(row, { reportInput: true });
    if (!parsed.success) {
      for (const line of describeIssues(parsed.error.issues, row)) problem(`${at}: ${line}`);
      return;
    }
    const seen = rowsOf.get(parsed.data.employeeId);
    if (seen) {
      seen.push(at);
      return;
    }
    rowsOf.set(parsed.data.employeeId, [at]);
    people.push(parsed.data);
  });
  const duplicates: RosterDuplicate[] = [];
  for (const [employeeId, at] of rowsOf) {
    if (at.length < 2) continue;
    if (duplicates.length < MAX_PROBLEMS) {
      duplicates.push({ employeeId, rows: at.slice(0, MAX_ROWS_NAMED), count: at.length });
    }
    problem(
      `employeeId ${JSON.stringify(employeeId)} is on ${at.length} rows (${listRows(at)}): each person must be listed once; merge the rows or correct the id`,
    );
  }
  if (more > 0) problems.push(`... and ${countOf(more, 'more problem')}`);
  if (problems.length > 0) throw new RosterInvalidError(problems, duplicates);
  return people;
}

/** Rows named in a sentence: "line 2 and line 4", "line 2, line 4, line 9 and 3 more". */
function listRows(rows: readonly string[]): string {
  const shown = rows.slice(0, MAX_ROWS_NAMED);
  const rest = rows.length - shown.length;
  if (rest > 0) return `${shown.join(', ')} and ${rest} more`;
  return shown.length === 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}
