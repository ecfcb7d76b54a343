// Shapes of what SCIM servers answer, checked with zod so a target that answers garbage fails with a
// clear reason instead of being read as "no account" or "inactive".
import * as z from 'zod';

/** `active` as servers send it: RFC boolean, or the strings some Entra-facing servers use. */
const activeSchema = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i, 'expected true or false')
    .transform((s) => s.toLowerCase() === 'true'),
]);

export const userSchema = z.object({
  id: z.string().min(1),
  userName: z.string(),
  active: activeSchema.optional(),
  externalId: z.string().optional(),
  emails: z.array(z.object({ value: z.string().optional() })).optional(),
  groups: z.array(z.object({ value: z.string().min(1), display: z.string().optional() })).optional(),
});

export const groupSchema = z.object({
  id: z.string().min(1),
  displayName: z.string().optional(),
});

const count = z.number().int().nonnegative();

export const listResponseSchema = z.object({
  totalResults: count,
  // RFC 7644 §3.4.2: Resources may be absent when totalResults is 0.
  Resources: z.array(z.unknown()).optional(),
  startIndex: count.optional(),
  itemsPerPage: count.optional(),
  nextCursor: z.string().optional(),
});

/** RFC 9865 cursor answers may leave totalResults out (AWS IAM Identity Center does). */
export const cursorListResponseSchema = listResponseSchema.extend({ totalResults: count.optional() });

export const errorBodySchema = z.object({
  status: z.union([z.string(), z.number()]).optional(),
  scimType: z.string().optional(),
  detail: z.string().optional(),
});

const supported = z.object({ supported: z.boolean() }).optional();
export const serviceProviderConfigSchema = z.object({
  patch: supported,
  bulk: supported,
  etag: supported,
  sort: supported,
  filter: z.object({ supported: z.boolean(), maxResults: count.optional() }).optional(),
  authenticationSchemes: z.array(z.object({ type: z.string().optional() })).optional(),
});

/** A target's account, as scimitar needs it. */
export interface ScimAccount {
  readonly id: string;
  readonly userName: string;
  /** Undefined when the server did not say; verification then cannot pass. */
  readonly active?: boolean;
  readonly externalId?: string;
  readonly emails: readonly { readonly value?: string }[];
  /** Group ids from the user's `groups` attribute (read-only in SCIM, often absent). */
  readonly groupIds: readonly string[];
}

export function toAccount(user: z.output<typeof userSchema>): ScimAccount {
  return {
    id: user.id,
    userName: user.userName,
    ...(user.active !== undefined && { active: user.active }),
    ...(user.externalId !== undefined && { externalId: user.externalId }),
    emails: user.emails ?? [],
    groupIds: (user.groups ?? []).map((g) => g.value),
  };
}

/** One line naming the first problems zod found, for an error message. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
