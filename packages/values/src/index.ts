export { LabError, type LabErrorOptions } from './errors.js';
export { checkJsonNumber, describeNumberRule, type NumberReading, type NumberRule, readDecimal, showNumber } from './numbers.js';
export { CREDENTIAL_PARAMS, REDACTED, redactText } from './redact.js';
export { formatInstant, INSTANT_SYNTAX, type InstantReading, readInstant } from './times.js';
