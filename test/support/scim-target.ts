// One SCIM application plus the faulty proxy in front of it, and clients pointed at the proxy: the
// fixture every SCIM integration test starts from.
import {
  BearerToken,
  ScimClient,
  type ScimClientOptions,
  type ScimQuirks,
} from '../../lambdas/core/scim/index.ts';
import { type ScimApp, start } from '../../local/scim-app.ts';
import { type FaultyScim, startFaultyScim } from './faulty-scim.ts';

/** Distinctive, so a test can search every error and record for it. */
export const TOKEN = 'tok_live_7Hq2ZpX9wLmN4vR8sT1u';

export interface ScimTarget {
  app: ScimApp;
  proxy: FaultyScim;
  client(quirks?: Partial<ScimQuirks>, options?: Partial<ScimClientOptions>): ScimClient;
  close(): Promise<void>;
}

export async function startTarget(options: { maxResults?: number } = {}): Promise<ScimTarget> {
  const app = await start({ tokens: [TOKEN], ...options });
  const proxy = await startFaultyScim(app.url);
  return {
    app,
    proxy,
    client: (quirks = {}, extra = {}) =>
      new ScimClient({
        baseUrl: proxy.url,
        credentials: new BearerToken(async () => TOKEN),
        quirks,
        timeoutMs: 2_000,
        ...extra,
      }),
    close: async () => {
      await proxy.close();
      await app.close();
    },
  };
}
