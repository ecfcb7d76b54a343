// Ports of ingest: starting the revocation workflow of an accepted event. Abstract classes, as in
// model/ports.ts; the Step Functions adapter lives in lambdas/aws/adapters, the local one in local/.

export interface WorkflowStart {
  executionArn: string;
  /** True when an execution of that name already existed: a duplicate delivery. */
  alreadyStarted: boolean;
}

/** Starts one workflow execution per lifecycle event, named for dedupe. */
export abstract class WorkflowStarter {
  abstract start(name: string, input: unknown): Promise<WorkflowStart>;
}
