import { describe, expect, it } from 'vitest';
import { renderLocalAsl } from '../../../lib/asl.ts';
import { renderAslCached } from '../../../local/asl-cache.ts';
import { testConfig } from '../../support/local-runtime.ts';

describe('local runtime: the synthesized workflow, cached', { timeout: 120_000 }, () => {
  it('answers what a fresh synth gives, for the config with its demo targets on other ports', () => {
    const config = testConfig();
    const moved = {
      ...config,
      targets: config.targets.map((t) =>
        t.kind === 'scim' ? { ...t, baseUrl: 'http://127.0.0.1:1/scim/v2' } : t,
      ),
    };
    const cached = renderAslCached(moved);
    expect(cached).toEqual(renderLocalAsl(config));
    // A copy each time: a runtime may change its definition without touching the next one's.
    (cached.definition as { Comment?: string }).Comment = 'changed';
    expect(renderAslCached(config).definition.Comment).not.toBe('changed');
  });

  it('synthesizes afresh for a config that changes the workflow', () => {
    const config = testConfig();
    const fewer = { ...config, targets: config.targets.filter((t) => t.id !== 'chat') };
    expect(Object.values(renderAslCached(fewer).queues)).not.toContain('chat');
    expect(Object.values(renderAslCached(config).queues)).toContain('chat');
  });
});
