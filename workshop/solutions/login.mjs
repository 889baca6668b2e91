// Reference fix for login-hash: the hash runs on the libuv threadpool (crypto.pbkdf2), so the
// event loop keeps serving other requests while a login is being checked.
import { pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

export default async function login(app, { fixtures }) {
  const { PBKDF2, USERS } = fixtures;
  app.post('/login', async (request, reply) => {
    const { user, password } = request.body ?? {};
    const known = USERS[user];
    if (!known || typeof password !== 'string') return reply.code(401).send({ ok: false });
    const hash = await pbkdf2Async(password, known.salt, PBKDF2.iterations, PBKDF2.keyBytes, PBKDF2.digest);
    const ok = timingSafeEqual(hash, Buffer.from(known.hash, 'hex'));
    return reply.code(ok ? 200 : 401).send({ ok });
  });
}
