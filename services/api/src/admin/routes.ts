// The admin surface: GET/PUT/DELETE /admin/faults… and the control page at /admin.
// Encapsulated (not fastify-plugin) so its access check and body limit apply to it alone.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { ApiError } from '../errors.js';
import { catalogue, isToggleName, TOGGLE_NAMES, type ToggleName, TTL_SECONDS } from '../faults/catalogue.js';
import type { FaultState } from '../faults/state.js';
import { validateToggleBody } from '../faults/validate.js';
import { checkAdminAccess } from './auth.js';
import { controlPageHtml } from './page.js';

export interface AdminOptions {
  state: FaultState;
  adminToken: string | undefined;
}

function toggleName(raw: string): ToggleName {
  if (isToggleName(raw)) return raw;
  throw new ApiError('LAB_UNKNOWN_FAULT', 404, `no fault or mitigation named ${JSON.stringify(raw)}; allowed: ${TOGGLE_NAMES.join(', ')}`, {
    allowed: TOGGLE_NAMES,
  });
}

const adminRoutes: FastifyPluginAsync<AdminOptions> = async (app: FastifyInstance, options) => {
  const { state, adminToken } = options;

  app.addHook('onRequest', async (request) => {
    const isPage = request.method === 'GET' && (request.url === '/admin' || request.url.startsWith('/admin?'));
    checkAdminAccess(request, adminToken, isPage);
  });

  app.get('/admin', async (_request, reply) => {
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
    return controlPageHtml();
  });

  app.get('/admin/catalogue', async () => ({ ttlSeconds: TTL_SECONDS, toggles: catalogue }));

  app.get('/admin/faults', async () => ({ faults: state.list() }));

  app.get<{ Params: { name: string } }>('/admin/faults/:name', async (request) => state.view(toggleName(request.params.name)));

  app.put<{ Params: { name: string } }>('/admin/faults/:name', async (request) => {
    const name = toggleName(request.params.name);
    const { params, ttlSeconds, clamped } = validateToggleBody(name, request.body);
    const warnings = await state.activate(name, params, ttlSeconds);
    return { fault: state.view(name), clamped, warnings };
  });

  app.delete<{ Params: { name: string } }>('/admin/faults/:name', async (request) => {
    const name = toggleName(request.params.name);
    const warnings = await state.deactivate(name);
    return { fault: state.view(name), warnings };
  });

  app.delete('/admin/faults', async () => {
    const warnings = await state.reset();
    return { faults: state.list(), warnings };
  });
};

export default adminRoutes;
