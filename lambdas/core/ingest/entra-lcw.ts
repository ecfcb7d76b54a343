// Microsoft Entra ID Lifecycle Workflows, "Run a custom task extension": Lifecycle Workflows calls
// an Azure Logic App with `{source, type: "lifecycleEvent", data: {subject, task,
// taskProcessingResult, workflow, callbackUriPath}}`; the Logic App forwards that body to scimitar.
// The task waits ("launch and wait") until scimitar resumes it through Graph with the outcome.
// https://learn.microsoft.com/entra/id-governance/lifecycle-workflow-extensibility,
// https://learn.microsoft.com/entra/id-governance/configure-logic-app-lifecycle-workflows,
// https://learn.microsoft.com/graph/api/resources/identitygovernance-customtaskextensioncalloutdata
import * as z from 'zod';
import { emailSchema, LCW_RESUME_PATH } from '../model/event.ts';
import type { PayloadParser } from './delivery.ts';
import { instant, oneEvent, parseEnvelope } from './push-events.ts';

const guidLike = z.string().trim().min(1).max(100);

const lcwDeliverySchema = z.looseObject({
  type: z.literal('lifecycleEvent', { message: 'must be "lifecycleEvent" (a Lifecycle Workflows callout)' }),
  data: z.looseObject({
    subject: z.looseObject({
      id: guidLike,
      employeeId: z.string().trim().max(200).nullish(),
      userPrincipalName: z.string().trim().max(512).nullish(),
      mail: z.string().trim().max(512).nullish(),
      displayName: z.string().trim().max(512).nullish(),
    }),
    taskProcessingResult: z.looseObject({ id: guidLike, createdDateTime: z.string().max(64).optional() }),
    workflow: z.looseObject({ id: guidLike }).optional(),
    callbackUriPath: z
      .string()
      .max(512)
      .regex(
        LCW_RESUME_PATH,
        "must be the task processing result's resume path (/identityGovernance/lifecycleWorkflows/...)",
      )
      .optional(),
  }),
});

export const parseEntraLcwPayload: PayloadParser = (payload, { source, receivedAt }) => {
  const { data } = parseEnvelope(lcwDeliverySchema, payload, 'Lifecycle Workflows');
  const subject = data.subject;
  const mail = subject.mail && emailSchema.safeParse(subject.mail).success ? subject.mail : undefined;
  // The task processing result is unique per user and run: a redelivery dedupes on it.
  const eventId = `${source.id}:${data.taskProcessingResult.id}`;
  const resume = source.kind === 'entra-lcw' && source.resume && data.callbackUriPath;
  return oneEvent(eventId, {
    eventId,
    source: source.id,
    occurredAt: instant(data.taskProcessingResult.createdDateTime) ?? receivedAt.toISOString(),
    kind: 'termination',
    // A leaver workflow runs when it is due; the reason is not in the callout.
    terminationType: 'involuntary',
    person: {
      employeeId: subject.employeeId || subject.id,
      ...(subject.userPrincipalName && { userName: subject.userPrincipalName }),
      ...(mail && { emails: [mail] }),
      ...(subject.displayName && { displayName: subject.displayName }),
    },
    ...(resume && { resume: { path: data.callbackUriPath as string } }),
    raw: payload,
  });
};
