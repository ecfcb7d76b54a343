// Closes the loop with Entra ID Lifecycle Workflows: after the Summarize step, an event that came
// from an entra-lcw source resumes its waiting task through Graph with the outcome (Completed when
// every target revoked, Failed otherwise). Graph is called with the source's app credentials
// (client credentials grant); the app named in the custom task extension's resourceId may resume
// without further permission (https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume).
import * as z from 'zod';
import type { SecretSource } from '../credentials/secret-source.ts';
import { auditEntry } from '../model/audit.ts';
import { type ScimitarConfig, type SourceConfig, sourceSecretName } from '../model/config.ts';
import { ScimitarError } from '../model/errors.ts';
import { LCW_RESUME_PATH } from '../model/event.ts';
import type { Summary } from '../model/messages.ts';
import type { AuditLog, Clock, Notifier } from '../model/ports.ts';

type EntraSource = Extract<SourceConfig, { kind: 'entra-lcw' }>;

/** The entra-lcw source secret: the app registration's client credentials, as JSON. */
export const lcwCredentialsSchema = z
  .object({ clientId: z.string().trim().min(1).max(256), clientSecret: z.string().min(1).max(1024) })
  .strict();

export class LcwResumeError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LcwResumeError';
  }
}

export interface LcwResumerDeps {
  readonly config: Pick<ScimitarConfig, 'sources'>;
  readonly secrets: SecretSource;
  readonly audit: AuditLog;
  readonly alerts: Notifier;
  readonly clock: Clock;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default 10 s per request */
  readonly timeoutMs?: number;
}

/** The Graph operation status for a summary: the task is done only when every target is. */
export function operationStatus(summary: Pick<Summary, 'outcome'>): 'Completed' | 'Failed' {
  return summary.outcome === 'COMPLETED' ? 'Completed' : 'Failed';
}

export class LifecycleWorkflowResumer {
  constructor(private readonly deps: LcwResumerDeps) {}

  /**
   * Resumes the task that waits for this event, if one does (its RECEIVED entry names the resume
   * path). A failure is audited and alerted, never thrown: the revocation itself is done, and the
   * task times out in Lifecycle Workflows, which reports it there too.
   */
  async resume(summary: Summary): Promise<'resumed' | 'none' | 'failed'> {
    const target = await this.waitingTask(summary.eventId);
    if (!target) return 'none';
    const status = operationStatus(summary);
    try {
      await this.callGraph(target.source, target.path, status);
    } catch (err) {
      const reason = err instanceof LcwResumeError ? err.message : 'Graph could not be reached';
      await this.record(summary, 'FAILED', { resume: target.path, operationStatus: status, reason });
      await this.deps.alerts.notify({
        subject: `scimitar: Lifecycle Workflows task not resumed for employee ${summary.personId}`,
        message: [
          `Event ${summary.eventId} (source ${target.source.id}) finished ${summary.outcome}, but resuming its Lifecycle Workflows task failed: ${reason}.`,
          'The workflow run will show the task as timed out. See the runbook "Lifecycle Workflows task not resumed" in docs/operations.md.',
        ].join('\n'),
        eventId: summary.eventId,
      });
      return 'failed';
    }
    await this.record(summary, 'RESUMED', { resume: target.path, operationStatus: status });
    return 'resumed';
  }

  private async waitingTask(eventId: string): Promise<{ source: EntraSource; path: string } | undefined> {
    const received = (await this.deps.audit.forEvent(eventId)).find((e) => e.step === 'RECEIVED');
    const detail = (received?.detail ?? {}) as { source?: unknown; event?: { resume?: { path?: unknown } } };
    const path = detail.event?.resume?.path;
    if (typeof path !== 'string' || !LCW_RESUME_PATH.test(path)) return undefined;
    const source = this.deps.config.sources.find((s) => s.id === detail.source);
    if (source?.kind !== 'entra-lcw' || !source.resume) return undefined;
    return { source, path };
  }

  private async callGraph(source: EntraSource, path: string, status: 'Completed' | 'Failed'): Promise<void> {
    const token = await this.graphToken(source);
    const response = await this.request(`${source.graphBaseUrl.replace(/\/$/, '')}/v1.0${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { operationStatus: status }, source: 'scimitar', type: 'lifecycleEvent' }),
    });
    // Graph answers 204 No Content on success.
    if (!response.ok) throw new LcwResumeError(`Graph answered ${response.status} to the resume call`);
  }

  private async graphToken(source: EntraSource): Promise<string> {
    const raw = await this.deps.secrets.read(sourceSecretName(source));
    let credentials: z.output<typeof lcwCredentialsSchema>;
    try {
      credentials = lcwCredentialsSchema.parse(JSON.parse(raw));
    } catch {
      throw new LcwResumeError(
        `the secret of source "${source.id}" must be JSON {"clientId":"...","clientSecret":"..."} (the app registration allowed to resume the task)`,
      );
    }
    const response = await this.request(
      `${source.authority.replace(/\/$/, '')}/${source.tenantId}/oauth2/v2.0/token`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          scope: `${source.graphBaseUrl.replace(/\/$/, '')}/.default`,
        }).toString(),
      },
    );
    if (!response.ok) {
      throw new LcwResumeError(
        `the token endpoint answered ${response.status}; check the app's client id and secret`,
      );
    }
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown };
    if (typeof body.access_token !== 'string')
      throw new LcwResumeError('the token endpoint returned no access_token');
    return body.access_token;
  }

  private async request(url: string, init: RequestInit): Promise<Response> {
    const doFetch = this.deps.fetch ?? fetch;
    return doFetch(url, {
      ...init,
      signal: AbortSignal.timeout(this.deps.timeoutMs ?? 10_000),
      redirect: 'error',
    });
  }

  private async record(summary: Summary, step: 'RESUMED' | 'FAILED', detail: Record<string, unknown>) {
    await this.deps.audit.append(
      auditEntry(
        { eventId: summary.eventId, step, personId: summary.personId, actor: 'summarize', detail },
        this.deps.clock.now(),
      ),
    );
  }
}
