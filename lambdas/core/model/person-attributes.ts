// The rules for a person's HR attributes (department, title, ...), in one home: the event and roster
// schemas (event.ts) validate them, entitlement rules in the target config (target-config.ts) name them.
import * as z from 'zod';

/** Most attributes one person may carry. */
export const MAX_PERSON_ATTRIBUTES = 50;
/** Longest attribute value, in characters. */
export const MAX_PERSON_ATTRIBUTE_VALUE = 512;
/** An attribute key: a letter, then up to 63 letters, digits, `_`, `.` or `-`. */
export const PERSON_ATTRIBUTE_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
export const PERSON_ATTRIBUTE_KEY_RULE =
  'an attribute key must be a letter, then up to 63 letters, digits, "_", "." or "-"';

/**
 * Keys the sources map their fields to (`managerId` is the manager's employeeId). Any other key
 * that matches PERSON_ATTRIBUTE_KEY is allowed too.
 */
export const wellKnownPersonAttributes = [
  'department',
  'title',
  'managerId',
  'costCenter',
  'location',
  'division',
  'employmentType',
] as const;
export type WellKnownPersonAttribute = (typeof wellKnownPersonAttributes)[number];

/**
 * A record keyed by attribute names, each bad key refused by name with the rule. A `__proto__` key
 * (JSON.parse makes it an own key) is refused too: a plain zod record would drop it silently, and
 * a later merge could pollute a prototype.
 */
export function attributeRecord<V extends z.ZodType>(values: V) {
  return z.preprocess(
    (input, ctx) => {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
      for (const key of Object.keys(input)) {
        if (key !== '__proto__' && PERSON_ATTRIBUTE_KEY.test(key)) continue;
        ctx.addIssue({
          code: 'custom',
          message: `the key ${JSON.stringify(key.slice(0, 80))} is refused: ${PERSON_ATTRIBUTE_KEY_RULE}`,
          input: key,
        });
      }
      return input;
    },
    z.record(z.string(), values),
  );
}
