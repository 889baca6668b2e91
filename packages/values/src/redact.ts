// Keeping credentials out of text that reaches a log, a terminal or an error message. Two
// layers: the exact secrets a process knows (its own LAB_ADMIN_TOKEN), and the places a
// credential sits by convention in any URL or header: a URL's user-info, query parameters
// named like credentials, and the value after "Bearer".

export const REDACTED = '[redacted]';

/** Query parameters whose value is a credential by convention. */
export const CREDENTIAL_PARAMS = ['token', 'access_token', 'api_key', 'apikey', 'key', 'password', 'secret', 'auth'] as const;

const QUERY_CREDENTIAL = new RegExp(`([?&;](?:${CREDENTIAL_PARAMS.join('|')})=)[^&#\\s"'<>]*`, 'gi');
const USER_INFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/?#@\s"'<>]+@/gi;
const BEARER = /(\bBearer\s+)[^\s"',;]+/gi;

/**
 * The text with every credential replaced by [redacted]: each non-empty string in `secrets`
 * wherever it occurs, URL user-info (`http://user:pass@host` → `http://[redacted]@host`),
 * credential query parameters (`?token=abc` → `?token=[redacted]`) and bearer values.
 * Works on whole URLs, request paths and free text alike.
 */
export function redactText(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join(REDACTED);
  return out.replace(QUERY_CREDENTIAL, `$1${REDACTED}`).replace(USER_INFO, `$1${REDACTED}@`).replace(BEARER, `$1${REDACTED}`);
}
