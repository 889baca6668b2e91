// Data the exercise routes and the verifier share (not an exercise file: nothing to fix here).
// Deterministic, so the verifier knows the right answers and can time the same work.
import { pbkdf2Sync } from 'node:crypto';

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
