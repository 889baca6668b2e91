// Client of the service's admin API (GET/PUT/DELETE /admin/faults…), used by the runner and
// by `lab fault`. Errors are EngineErrors with the service's own message, on one line.
import type { ToggleParams } from './define.js';
import { EngineError } from './errors.js';

export interface FaultView {
  name: string;
  kind: 'fault' | 'mitigation';
  active: boolean;
  params: Record<string, unknown>;
  expiresAt: string | null;
  remainingSeconds: number | null;
}

export interface CatalogueParam {
  type: 'integer' | 'number' | 'enum' | 'set' | 'trigger';
  min?: number;
  max?: number;
  values?: string[];
  /** For a trigger: the sources the fault's routes can carry. */
  sources?: string[];
  default?: unknown;
  description?: string;
}

export interface CatalogueEntry {
  kind: 'fault' | 'mitigation';
  title: string;
  params: Record<string, CatalogueParam>;
}

export interface ServiceCatalogue {
  ttlSeconds: { default: number; min: number; max: number };
  toggles: Record<string, CatalogueEntry>;
}

export class AdminClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined = process.env.LAB_ADMIN_TOKEN,
    private readonly timeoutMs = 5000,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.baseUrl).toString();
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new EngineError('LAB_SERVICE_UNREACHABLE', `${method} ${url} failed: ${cause}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        const parsed = JSON.parse(text) as { message?: string };
        if (parsed.message) message = parsed.message;
      } catch {
        // not JSON: keep the text
      }
      throw new EngineError('LAB_FAULT_REJECTED', `${method} ${url}: HTTP ${response.status}: ${message.trim().slice(0, 500)}`);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  async list(): Promise<FaultView[]> {
    return (await this.call<{ faults: FaultView[] }>('GET', '/admin/faults')).faults;
  }

  async catalogue(): Promise<ServiceCatalogue> {
    return this.call<ServiceCatalogue>('GET', '/admin/catalogue');
  }

  async set(name: string, params: ToggleParams, ttlSeconds?: number): Promise<void> {
    await this.call('PUT', `/admin/faults/${encodeURIComponent(name)}`, { ...params, ...(ttlSeconds ? { ttlSeconds } : {}) });
  }

  async clear(name: string): Promise<void> {
    await this.call('DELETE', `/admin/faults/${encodeURIComponent(name)}`);
  }

  /** Switches every fault and mitigation off, retrying: this is what leaves the service healthy. */
  async clearAll(attempts = 3): Promise<void> {
    let last: unknown;
    for (let i = 0; i < attempts; i += 1) {
      try {
        await this.call('DELETE', '/admin/faults');
        return;
      } catch (error) {
        last = error;
        await new Promise((r) => setTimeout(r, 300 * (i + 1)));
      }
    }
    throw new EngineError(
      'LAB_RESTORE_FAILED',
      `could not restore a healthy service: ${last instanceof Error ? last.message : String(last)}`,
    );
  }
}
