// Data the exercise routes and the verifier share (not an exercise file: nothing to fix here).
// Deterministic, so the verifier knows the right answers and can time the same work.
import { pbkdf2Sync } from 'node:crypto';
import { closeSync, existsSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Password hashing cost. Chosen so one hash takes tens to hundreds of ms on a laptop core. */
export const PBKDF2 = { iterations: 1_000_000, keyBytes: 32, digest: 'sha256' };

const SALT = 'runtime-lab-workshop';
/** The one user the login route knows: ada / correct-horse. */
export const USERS = {
  ada: { salt: SALT, hash: pbkdf2Sync('correct-horse', SALT, PBKDF2.iterations, PBKDF2.keyBytes, PBKDF2.digest).toString('hex') },
};

/** Number of products in the catalogue; its JSON text is several MB. */
export const PRODUCT_COUNT = 120_000;

let catalogue;
/** The product catalogue as JSON text, as it would arrive from a file or a cache. */
export function catalogueText() {
  if (catalogue) return catalogue;
  const products = [];
  for (let id = 1; id <= PRODUCT_COUNT; id += 1) {
    products.push({
      id,
      name: `product-${id}`,
      priceCents: (id * 7919) % 10_000,
      tags: [`t${id % 17}`, `t${id % 23}`],
      stock: (id * 31) % 97,
    });
  }
  catalogue = JSON.stringify({ products });
  return catalogue;
}

/**
 * The activity log of the file-read exercise: about 32 MiB of lines like
 * `2023-11-14T22:13:20.000Z user-0 viewed product-0`, oldest first. Big enough that reading and
 * splitting the whole file takes around a hundred milliseconds of the loop's time on a laptop core.
 */
export const ACTIVITY_LOG_BYTES = 32 * 1024 * 1024;

/** Line `i` of the activity log, without its newline. */
export function activityLine(i) {
  return `${new Date(1_700_000_000_000 + i * 1000).toISOString()} user-${(i * 7919) % 5000} viewed product-${((i * 31) % PRODUCT_COUNT) + 1}`;
}

/** Writes the activity log to `path` (replacing it); returns the number of lines. */
export function writeActivityLog(path) {
  const partial = `${path}.partial`;
  const fd = openSync(partial, 'w');
  let bytes = 0;
  let lines = 0;
  try {
    while (bytes < ACTIVITY_LOG_BYTES) {
      const chunk = [];
      for (let k = 0; k < 10_000; k += 1) chunk.push(`${activityLine(lines + k)}\n`);
      const text = chunk.join('');
      writeSync(fd, text);
      bytes += Buffer.byteLength(text);
      lines += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  renameSync(partial, path);
  return lines;
}

/** The activity log `node server.mjs` uses when ACTIVITY_LOG is not set: in the OS temp folder, written once. */
export function defaultActivityLog() {
  const path = join(tmpdir(), 'runtime-lab-workshop-activity.log');
  if (!existsSync(path) || statSync(path).size < ACTIVITY_LOG_BYTES) writeActivityLog(path);
  return path;
}
