// Label matchers as written inside PromQL braces: job="api",instance=~"127.0.0.1:.*".
// Checked here so a typo is a usage/config error naming the matcher, not a Prometheus 400.

const MATCHER = /^\s*[A-Za-z_][A-Za-z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*$/;

export const SELECTOR_SYNTAX = 'label matchers like job="api" or job!="runner",instance=~"host:.*"';

/** The matchers without braces, trimmed; undefined when the text is not a matcher list. */
export function normalizeSelector(text: string): string | undefined {
  let inner = text.trim();
  if (inner.startsWith('{') && inner.endsWith('}')) inner = inner.slice(1, -1).trim();
  if (inner === '') return '';
  const parts = splitMatchers(inner);
  if (!parts.every((part) => MATCHER.test(part))) return undefined;
  return parts.map((part) => part.trim()).join(',');
}

/** Joins matcher lists, skipping empty ones. */
export function joinSelectors(...selectors: string[]): string {
  return selectors.filter((s) => s !== '').join(',');
}

// Splits on commas outside double quotes (a value may contain commas).
function splitMatchers(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && quoted) {
      current += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}
