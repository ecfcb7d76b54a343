// Whether a text is an e-mail address as RFC 6531 (SMTPUTF8) allows it: RFC 5321's Mailbox with
// UTF-8 allowed in the local part and internationalised domain names (checked through their
// IDNA ASCII form). The address is kept as given: scimitar matches it, it never sends mail to it.
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';

/** RFC 5321 §4.5.3.1.1: at most 64 octets in the local part. */
const MAX_LOCAL_OCTETS = 64;
/** RFC 1035: at most 253 characters in a domain name written without its final dot. */
const MAX_DOMAIN_LENGTH = 253;

// atext (RFC 5322 §3.2.3) plus any non-ASCII character (RFC 6531 §3.3, UTF8-non-ascii).
const ATOM = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\u0080-\\u{10FFFF}]+";
const DOT_STRING = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`, 'u');
// Quoted-string (RFC 5321 §4.1.2): qtextSMTP (printable ASCII but `"` and `\`, plus non-ASCII) or a quoted pair.
const QUOTED_STRING = /^"(?:[\x20\x21\x23-\x5B\x5D-\x7E\u0080-\u{10FFFF}]|\\[\x20-\x7E])*"$/u;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const utf8 = new TextEncoder();

function isLocalPart(local: string): boolean {
  if (local.length === 0 || utf8.encode(local).length > MAX_LOCAL_OCTETS) return false;
  return DOT_STRING.test(local) || QUOTED_STRING.test(local);
}

function isAddressLiteral(literal: string): boolean {
  const inner = literal.slice(1, -1);
  if (inner.toLowerCase().startsWith('ipv6:')) return isIPv6(inner.slice(5));
  return isIPv4(inner);
}

function isDomain(domain: string): boolean {
  if (domain.startsWith('[') && domain.endsWith(']')) return isAddressLiteral(domain);
  // IDNA (UTS #46) maps and encodes U-labels; an empty answer means the name cannot be encoded.
  const ascii = domainToASCII(domain);
  if (ascii.length === 0 || ascii.length > MAX_DOMAIN_LENGTH) return false;
  return ascii.split('.').every((label) => LDH_LABEL.test(label));
}

/** Whether `address` is local-part@domain per RFC 6531 (no surrounding spaces, no display name). */
export function isMailboxAddress(address: string): boolean {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return false;
  return isLocalPart(address.slice(0, at)) && isDomain(address.slice(at + 1));
}
