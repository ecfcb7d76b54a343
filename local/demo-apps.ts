// The SCIMMY demo applications the local runtime starts for SCIM targets on localhost, seeded
// with the demo people (not everyone everywhere, so "no account" happens too), and their roster.
import {
  type ScimitarConfig,
  type ScimTargetConfig,
  targetSecretName,
} from '../lambdas/core/model/config.ts';
import type { DemoPerson } from './demo-people.ts';
import { type RateLimitOptions, type ScimApp, start as startScimApp } from './scim-app.ts';
import { isAddressInUse, PortInUseError } from './start-errors.ts';

/** The SCIM targets on localhost: each gets a demo application. */
export function demoTargetsOf(config: ScimitarConfig): ScimTargetConfig[] {
  return config.targets.filter((t): t is ScimTargetConfig => t.kind === 'scim' && isLoopbackHttp(t.baseUrl));
}

export function isLoopbackHttp(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(hostname);
}

/** The demo company's HR roster: everyone is active until a termination says otherwise. */
export function demoRosterCsv(people: readonly DemoPerson[]): string {
  const rows = people.map((p) => [p.employeeId, p.userName, p.emails.join(';'), p.employeeId].join(','));
  return `employeeId,userName,emails,externalId\n${rows.join('\n')}\n`;
}

/** Which demo people each demo application holds: not everyone everywhere, so "no account" happens too. */
function holdsAccount(targetIndex: number, personIndex: number): boolean {
  return (personIndex + targetIndex) % 5 !== 4;
}

export async function startDemoApp(
  target: ScimTargetConfig,
  index: number,
  token: string,
  people: readonly DemoPerson[],
  ephemeral: boolean,
  rateLimit?: RateLimitOptions,
): Promise<ScimApp> {
  const url = new URL(target.baseUrl);
  const port = ephemeral ? 0 : Number(url.port || 80);
  let app: ScimApp;
  try {
    app = await startScimApp({ tokens: [token], port, host: '127.0.0.1', ...(rateLimit && { rateLimit }) });
  } catch (err) {
    if (isAddressInUse(err)) {
      throw new PortInUseError(
        port,
        `the demo application of target "${target.id}"`,
        `start with --no-demo-apps, or give the target another port in its baseUrl`,
        { cause: err },
      );
    }
    throw new Error(
      `cannot start the demo application for target "${target.id}" on port ${port}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const members = people.filter((_, i) => holdsAccount(index, i));
  app.seed({
    users: [
      ...members.map((p) => ({
        userName: p.userName,
        externalId: p.employeeId,
        displayName: p.displayName,
        emails: p.emails.map((value) => ({ value, type: 'work', primary: true })),
      })),
      ...target.allowList.map((userName) => ({ userName, displayName: `${userName} (service account)` })),
    ],
    groups: [
      { displayName: 'everyone', members: members.map((p) => p.userName) },
      { displayName: 'admins', members: members.slice(0, 2).map((p) => p.userName) },
    ],
  });
  return app;
}

/**
 * Starts a demo application per demo target, each closed by a stopper pushed on `stoppers`;
 * returns them and the config with those targets' baseUrls pointing at them.
 */
export async function startDemoApps(
  config: ScimitarConfig,
  demoTargets: readonly ScimTargetConfig[],
  options: {
    tokens: Readonly<Record<string, string>>;
    people: readonly DemoPerson[];
    ephemeral: boolean;
    stoppers: (() => Promise<void>)[];
    /**
     * A vendor-style rate limit each application enforces on its own (429 with Retry-After past it).
     * @default - none (`npm start` runs the demo applications unthrottled)
     */
    rateLimit?: RateLimitOptions;
  },
): Promise<{ apps: Map<string, ScimApp>; config: ScimitarConfig }> {
  const apps = new Map<string, ScimApp>();
  for (const [i, target] of demoTargets.entries()) {
    const token = options.tokens[targetSecretName(target)] ?? '';
    const app = await startDemoApp(target, i, token, options.people, options.ephemeral, options.rateLimit);
    options.stoppers.push(() => app.close());
    apps.set(target.id, app);
  }
  const targets = config.targets.map((t) => {
    const app = apps.get(t.id);
    return app && t.kind === 'scim' ? { ...t, baseUrl: app.url } : t;
  });
  return { apps, config: { ...config, targets } };
}
