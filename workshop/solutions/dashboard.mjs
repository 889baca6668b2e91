// Reference fix for fan-out: the widgets are fetched in parallel, each call has a deadline, a
// timed-out call is retried at most once and only while the route's own budget allows, and a
// widget that still fails is null (degraded, not a hung request).
const WIDGETS = [1, 2, 3];
const ROUTE_BUDGET_MS = 800;
const CALL_DEADLINE_MS = 300;

async function widget(url, deadlineAt) {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const left = deadlineAt - Date.now();
    if (left <= 0) return null;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.min(CALL_DEADLINE_MS, left)) });
      return response.ok ? await response.json() : null;
    } catch {
      // timed out or refused: one more attempt if the budget allows
    }
  }
  return null;
}

export default async function dashboard(app, options) {
  app.get('/dashboard', async () => {
    const deadlineAt = Date.now() + ROUTE_BUDGET_MS;
    const widgets = await Promise.all(WIDGETS.map((n) => widget(`${options.dependencyUrl}/widget/${n}`, deadlineAt)));
    return { widgets };
  });
}
