import { describe, expect, it } from 'vitest';
import {
  credentialFromSecret,
  SecretFormatError,
  withCredential,
} from '../../lambdas/core/credentials/secret-format.ts';

const SECRET = 'tok_live_9f2kQ7';

describe("A target's secret: its stored format", () => {
  it('reads a bare value, trimmed', () => {
    expect(credentialFromSecret(`  ${SECRET}\n`, 'token')).toBe(SECRET);
  });

  it('reads the field of a JSON secret, for either kind of credential', () => {
    const stored = JSON.stringify({ token: SECRET, clientSecret: 'cs_1', note: 'renew in March' });
    expect(credentialFromSecret(stored, 'token')).toBe(SECRET);
    expect(credentialFromSecret(stored, 'clientSecret')).toBe('cs_1');
  });

  it('refuses a JSON secret without the field, naming the field', () => {
    expect(() => credentialFromSecret(JSON.stringify({ clientSecret: SECRET }), 'token')).toThrow(
      new SecretFormatError(`the target's secret is JSON without a "token" string field`),
    );
  });

  it('refuses a secret that looks like JSON but does not parse, without quoting it', () => {
    const err = (() => {
      try {
        credentialFromSecret(`{"token": "${SECRET}"`, 'token');
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a failure');
    })();
    expect(err).toBeInstanceOf(SecretFormatError);
    expect(err.message).not.toContain(SECRET);
  });

  it('writes a new credential in the format of the current value, keeping the other fields', () => {
    expect(withCredential(SECRET, 'token', 'tok_new')).toBe('tok_new');
    const written = withCredential(JSON.stringify({ token: SECRET, note: 'kept' }), 'token', 'tok_new');
    expect(JSON.parse(written)).toEqual({ token: 'tok_new', note: 'kept' });
    expect(credentialFromSecret(written, 'token')).toBe('tok_new');
  });
});
