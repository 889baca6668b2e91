// The lab api's admin API, as tests and measurements drive it (the product's client is the
// scenario engine's AdminClient; this one fails loudly on anything but 200).
import { sendJson } from './http.js';

/** Fault or mitigation name -> its parameters, e.g. { blocking: { mode: 'cpu', durationMs: 300 } }. */
export type Toggles = Record<string, Record<string, unknown>>;

/** PUT /admin/faults/<name> for each toggle, in order; throws with the answer on any status but 200. */
export async function setToggles(apiUrl: string, toggles: Toggles): Promise<void> {
  for (const [name, params] of Object.entries(toggles)) {
    const { status, json } = await sendJson(`${apiUrl}/admin/faults/${name}`, 'PUT', params);
    if (status !== 200) throw new Error(`PUT /admin/faults/${name} answered ${status}: ${JSON.stringify(json)}`);
  }
}

/** DELETE /admin/faults: every fault and mitigation off. */
export async function resetToggles(apiUrl: string): Promise<void> {
  const { status, json } = await sendJson(`${apiUrl}/admin/faults`, 'DELETE');
  if (status !== 200) throw new Error(`DELETE /admin/faults answered ${status}: ${JSON.stringify(json)}`);
}
