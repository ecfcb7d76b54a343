// Form-encoded webhook bodies (Rippling's app webhooks): `a=1&b=2` read into a flat object of
// strings, with the same hostile-input limits as JSON (UTF-8, no __proto__, bounded fields).
import { MalformedPayloadError } from './errors.ts';
import { type HeaderBag, headerValues } from './signature.ts';

/** Most fields a form body may hold. */
const MAX_FORM_FIELDS = 100;

export function isFormEncoded(headers: HeaderBag): boolean {
  return headerValues(headers, 'content-type').some((v) =>
    v.toLowerCase().startsWith('application/x-www-form-urlencoded'),
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeFormPayload(body: Uint8Array): Record<string, string> {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (err) {
    throw new MalformedPayloadError('the body is not valid UTF-8', { cause: err });
  }
  if (text.trim().length === 0)
    throw new MalformedPayloadError('the body is empty; form fields are expected');
  const params = new URLSearchParams(text);
  const fields: Record<string, string> = Object.create(null);
  let count = 0;
  for (const [key, value] of params) {
    if (key === '__proto__')
      throw new MalformedPayloadError('the body holds a "__proto__" field, which scimitar refuses');
    if (++count > MAX_FORM_FIELDS)
      throw new MalformedPayloadError(`the body holds more than ${MAX_FORM_FIELDS} form fields`);
    if (key in fields)
      throw new MalformedPayloadError(`the form field "${key.slice(0, 64)}" is sent more than once`);
    fields[key] = value;
  }
  return { ...fields };
}
