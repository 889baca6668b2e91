// Exercise file-read: GET /activity?lines=N → {"lines":[…]}, the last N lines (1–100, default 20)
// of the activity log, oldest first. The log keeps growing while the service runs.
// Run `lab workshop verify file-read` to see how this route behaves under load.
import { readFileSync } from 'node:fs';

export default async function activity(app, { activityLog }) {
  app.get('/activity', async (request, reply) => {
    const raw = request.query.lines ?? '20';
    const count = /^\d{1,3}$/.test(raw) ? Number(raw) : 0;
    if (count < 1 || count > 100) return reply.code(400).send({ error: 'lines must be an integer from 1 to 100' });
    const lines = readFileSync(activityLog, 'utf8').trimEnd().split('\n');
    return { lines: lines.slice(-count) };
  });
}
