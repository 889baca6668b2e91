// The run-time state of every toggle: which are on, with which parameters, until when.
// Components that must react (pools, downstream settings, child processes) subscribe to
// changes; the admin API awaits them so a PUT answers once the change has taken effect.
import { catalogue, defaultParams, type ParamsOf, TOGGLE_NAMES, type ToggleKind, type ToggleName } from './catalogue.js';

export interface ToggleView {
  name: ToggleName;
  kind: ToggleKind;
  active: boolean;
  /** The active parameters, or (when off) the defaults a PUT without a body would apply. */
  params: Record<string, unknown>;
  /** ISO time it turns itself off, null when off. */
  expiresAt: string | null;
  remainingSeconds: number | null;
}

export interface ToggleChange {
  name: ToggleName;
  active: boolean;
  params: Record<string, unknown> | undefined;
  reason: 'put' | 'delete' | 'reset' | 'expired' | 'close';
}

/** "executor-saturation turned off", "larger-pool expired", "DELETE /admin/faults"…: for a 503 that says why. */
export function describeChange(change: ToggleChange): string {
  if (change.reason === 'reset') return 'DELETE /admin/faults';
  if (change.reason === 'close') return 'the api is shutting down';
  if (change.active) return `${change.name} changed`;
  return `${change.name} ${change.reason === 'expired' ? 'expired' : 'turned off'}`;
}

/** A listener may return warnings (e.g. "downstream not reachable"): the change still stands. */
export type ChangeListener = (change: ToggleChange) => string | undefined | Promise<string | undefined>;

interface Active {
  params: Record<string, unknown>;
  expiresAtMs: number;
  timer: NodeJS.Timeout;
  /** A mystery incident (the workshop): on for real, shown as off in every view. */
  hidden: boolean;
}

/** What the views say about a hidden (mystery) toggle: that one is on, and for how long, not which. */
export interface MysteryView {
  active: boolean;
  expiresAt: string | null;
  remainingSeconds: number | null;
}

export class FaultState {
  readonly #active = new Map<ToggleName, Active>();
  readonly #listeners: ChangeListener[] = [];
  readonly #resetListeners: (() => Promise<string | undefined>)[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  onChange(listener: ChangeListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Called after DELETE /admin/faults even when nothing was on: state kept outside this
   * process (downstream's settings) may still be a fault's leftover, e.g. after an api restart.
   */
  onReset(listener: () => Promise<string | undefined>): void {
    this.#resetListeners.push(listener);
  }

  isActive(name: ToggleName): boolean {
    return this.#active.has(name);
  }

  /** Parameters of an active toggle, undefined when it is off. */
  get<N extends ToggleName>(name: N): ParamsOf<N> | undefined {
    return this.#active.get(name)?.params as ParamsOf<N> | undefined;
  }

  /** Retry-After of every 503 the api sends: load-shedding's setting while it is on, else 1 s. */
  retryAfterSeconds(): number {
    return this.get('load-shedding')?.retryAfterSeconds ?? 1;
  }

  /**
   * The toggle as the admin API, the page and the metrics show it. A hidden toggle reads as off
   * (its real state is only in get()/isActive(), which the routes use): see mystery().
   */
  view(name: ToggleName): ToggleView {
    const entry = this.#active.get(name);
    const spec = catalogue[name];
    if (!entry || entry.hidden) {
      return { name, kind: spec.kind, active: false, params: defaultParams(name), expiresAt: null, remainingSeconds: null };
    }
    return {
      name,
      kind: spec.kind,
      active: true,
      params: structuredClone(entry.params),
      expiresAt: new Date(entry.expiresAtMs).toISOString(),
      remainingSeconds: Math.max(0, Math.ceil((entry.expiresAtMs - this.#now()) / 1000)),
    };
  }

  list(): ToggleView[] {
    return TOGGLE_NAMES.map((name) => this.view(name));
  }

  /** Whether a hidden toggle is on, without saying which (GET /admin/mystery, lab_fault_active{fault="mystery"}). */
  mystery(): MysteryView {
    const entry = [...this.#active.values()].find((a) => a.hidden);
    if (!entry) return { active: false, expiresAt: null, remainingSeconds: null };
    return {
      active: true,
      expiresAt: new Date(entry.expiresAtMs).toISOString(),
      remainingSeconds: Math.max(0, Math.ceil((entry.expiresAtMs - this.#now()) / 1000)),
    };
  }

  /** Switches the hidden toggle off, if one is on (DELETE /admin/mystery). */
  async clearMystery(): Promise<string[]> {
    const warnings: string[] = [];
    for (const [name, entry] of [...this.#active.entries()]) {
      if (entry.hidden) warnings.push(...(await this.deactivate(name)));
    }
    return warnings;
  }

  /**
   * Turns a toggle on (or replaces its parameters and renews its TTL). Returns listener warnings.
   * `hidden`: a mystery incident; at most one at a time, so a new one replaces the previous one.
   * Setting a toggle openly (hidden false) makes it visible again.
   */
  async activate<N extends ToggleName>(name: N, params: ParamsOf<N>, ttlSeconds: number, hidden = false): Promise<string[]> {
    const warnings = hidden ? await this.clearMystery() : [];
    const previous = this.#active.get(name);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => {
      void this.deactivate(name, 'expired');
    }, ttlSeconds * 1000);
    timer.unref();
    const copy = structuredClone(params) as Record<string, unknown>;
    this.#active.set(name, { params: copy, expiresAtMs: this.#now() + ttlSeconds * 1000, timer, hidden });
    warnings.push(...(await this.#emit({ name, active: true, params: copy, reason: 'put' })));
    return warnings;
  }

  async deactivate(name: ToggleName, reason: ToggleChange['reason'] = 'delete'): Promise<string[]> {
    const entry = this.#active.get(name);
    if (!entry) return [];
    clearTimeout(entry.timer);
    this.#active.delete(name);
    return this.#emit({ name, active: false, params: undefined, reason });
  }

  /** Everything healthy: every fault and mitigation off. */
  async reset(reason: ToggleChange['reason'] = 'reset'): Promise<string[]> {
    const warnings: string[] = [];
    for (const name of [...this.#active.keys()]) warnings.push(...(await this.deactivate(name, reason)));
    if (reason !== 'reset') return warnings;
    for (const listener of this.#resetListeners) {
      const warning = await listener().catch((error: Error) => error.message);
      if (warning) warnings.push(warning);
    }
    return warnings;
  }

  async #emit(change: ToggleChange): Promise<string[]> {
    const warnings: string[] = [];
    for (const listener of this.#listeners) {
      try {
        const warning = await listener(change);
        if (warning) warnings.push(warning);
      } catch (error) {
        warnings.push(`${change.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return warnings;
  }
}
