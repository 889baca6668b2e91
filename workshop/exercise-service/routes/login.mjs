// Exercise login-hash: POST /login {"user","password"} → 200 {"ok":true} or 401 {"ok":false}.
// Run `lab workshop verify login-hash` to see how this route behaves under load.
import { pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export default async function login(app, { fixtures }) {
  const { PBKDF2, USERS } = fixtures;
  app.post('/login', async (request, reply) => {
    const { user, password } = request.body ?? {};
    const known = USERS[user];
    if (!known || typeof password !== 'string') return reply.code(401).send({ ok: false });
    const hash = pbkdf2Sync(password, known.salt, PBKDF2.iterations, PBKDF2.keyBytes, PBKDF2.digest);
    const ok = timingSafeEqual(hash, Buffer.from(known.hash, 'hex'));
    return reply.code(ok ? 200 : 401).send({ ok });
  });
}
