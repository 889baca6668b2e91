// The admin access rule (the service kit's adminAccessProblem) as this service's ApiError.
import { adminAccessProblem } from '@runtime-lab/service-kit';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';

/** Throws 401/403 unless the request may use the admin surface. */
export function checkAdminAccess(request: FastifyRequest, adminToken: string | undefined, allowQueryToken = false): void {
  const problem = adminAccessProblem(request, adminToken, allowQueryToken);
  if (problem) throw new ApiError(problem.code, problem.statusCode, problem.message);
}
