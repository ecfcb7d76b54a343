// What a pulled source adds to its config: the HRIS API scimitar reads (BambooHR, HiBob) and the
// Workday tenant, reports and columns. Vendor facts are cited in docs/roster-pull.md.
import * as z from 'zod';
import { scheduleExpression } from '../model/schedule-expression.ts';
import { endpointUrl, secretFields } from '../model/target-config.ts';

/** BambooHR's API gateway; the company's subdomain follows it. */
export const BAMBOOHR_API_URL = 'https://api.bamboohr.com/api/gateway.php';
/** HiBob's production API (the sandbox is https://api.sandbox.hibob.com/v1). */
export const HIBOB_API_URL = 'https://api.hibob.com/v1';

/**
 * The HRIS API of a webhook source, read by the roster pull. Its credential is a secret of its
 * own, `<stackName>/sources/<id>/api` unless adopted (`secretName`): BambooHR, the API key;
 * HiBob, `{"serviceUserId": "...", "token": "..."}`.
 */
export const bambooHRApiSchema = z
  .object({
    /** The subdomain the company uses BambooHR at: `mycompany` for https://mycompany.bamboohr.com. */
    companyDomain: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/, 'must be the BambooHR subdomain, e.g. "mycompany"'),
    /** @default {@link BAMBOOHR_API_URL} */
    baseUrl: endpointUrl.default(BAMBOOHR_API_URL),
    ...secretFields,
  })
  .strict();

export const hibobApiSchema = z
  .object({
    /** @default {@link HIBOB_API_URL} */
    baseUrl: endpointUrl.default(HIBOB_API_URL),
    ...secretFields,
  })
  .strict();

/** `<report owner>/<report name>` of a Workday custom report enabled as a web service (RaaS). */
const reportPath = z
  .string()
  .regex(
    /^[A-Za-z0-9_.@-]{1,128}\/[A-Za-z0-9_.-]{1,128}$/,
    'must be "<report owner>/<report name>" as in the RaaS URL, e.g. "ISU_Scimitar/Scimitar_Terminations"',
  );
const column = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,127}$/, 'must be a report column (XML alias), e.g. "Employee_ID"');

/** The report columns scimitar reads; each report needs only the ones it uses. */
export const workdayColumnsSchema = z
  .object({
    employeeId: column.default('Employee_ID'),
    userName: column.default('User_Name'),
    email: column.default('Email'),
    displayName: column.default('Full_Name'),
    /** Terminations: the termination event's own reference, stable across reads (its WID). */
    eventId: column.default('Event_ID'),
    /** Terminations: when the event was entered or last corrected (the window the poll reads). */
    entryMoment: column.default('Entry_Moment'),
    /** Terminations: the termination date (last day of work). */
    effectiveDate: column.default('Termination_Date'),
    /** Terminations: 1/true when the termination was rescinded. */
    rescinded: column.default('Rescinded'),
    /** Terminations: 1/true for an involuntary termination. */
    involuntary: column.default('Involuntary'),
    department: column.default('Department'),
    title: column.default('Job_Title'),
    managerId: column.default('Manager_ID'),
    costCenter: column.default('Cost_Center'),
    location: column.default('Location'),
    division: column.default('Division'),
    employmentType: column.default('Worker_Type'),
  })
  .strict();
export type WorkdayColumns = z.output<typeof workdayColumnsSchema>;

export const workdayTerminationsSchema = z
  .object({
    /** The report listing termination events entered in a window (its two prompts). */
    report: reportPath,
    /** How often the window is read. @default 'rate(15 minutes)' */
    schedule: scheduleExpression.default('rate(15 minutes)'),
    /** The report's prompt for the window's start (an instant). @default 'Entry_Moment_From' */
    fromPrompt: column.default('Entry_Moment_From'),
    /** The report's prompt for the window's end. @default 'Entry_Moment_To' */
    toPrompt: column.default('Entry_Moment_To'),
    /**
     * Each window starts this long before the last one ended, so an event committed late (its entry
     * moment before the last read's end) is still read; events read twice are recognised by their id.
     * @default 60
     */
    overlapMinutes: z.number().int().min(0).max(1440).default(60),
    /** The first poll reads this far back. @default 7 */
    firstLookbackDays: z.number().int().min(1).max(90).default(7),
  })
  .strict();

/**
 * A Workday tenant, polled (Workday has no webhook): terminations from one custom report, the
 * roster from another. The source's secret (`<stackName>/sources/<id>` unless adopted) holds the
 * integration system user's credential, `{"username": "ISU_...@tenant", "password": "..."}`.
 */
export const workdaySourceFields = {
  /** The tenant's web services host, e.g. https://wd2-impl-services1.workday.com */
  host: endpointUrl,
  tenant: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the Workday tenant name, e.g. "acme"'),
  /** Poll terminations. @default - not polled */
  terminations: workdayTerminationsSchema.optional(),
  /** The report of active workers the roster pull reads. @default - no roster from this source */
  rosterReport: reportPath.optional(),
  columns: workdayColumnsSchema.default(workdayColumnsSchema.parse({})),
};

/** The roster pull: which source's people replace the roster, and how often. */
export const rosterPullSchema = z
  .object({
    /** A source of kind bamboohr or hibob with `api`, or workday with `rosterReport`. */
    source: z.string().min(1),
    /** @default 'rate(6 hours)' */
    schedule: scheduleExpression.default('rate(6 hours)'),
  })
  .strict();
