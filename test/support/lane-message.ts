// A lane message for a test: the person matched by userName at target 'app', deactivate, with a
// task token named after the event; every part overridable.
import type { Lane, LaneMessage } from '../../lambdas/core/model/messages.ts';

export function laneMessage(
  userName: string,
  eventId: string,
  lane: Partial<Lane> = {},
  extra: Partial<LaneMessage> = {},
): LaneMessage {
  return {
    taskToken: `token-${eventId}`,
    eventId,
    receivedAt: '2026-11-28T10:00:00.000Z',
    dryRun: false,
    person: { employeeId: `E-${eventId}`, userName },
    lane: {
      targetId: 'app',
      tier: 'standard',
      action: 'deactivate',
      matchAttribute: 'userName',
      matchValue: userName,
      removeFromGroups: false,
      reportOnly: false,
      ...lane,
    },
    ...extra,
  };
}
