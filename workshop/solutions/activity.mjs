// Reference fix for file-read: read only the end of the log, asynchronously. The route stats the
// file and reads backwards in 16 KiB positioned reads (each one a libuv threadpool job, off the
// loop) until it holds N complete lines, so the loop's share of a request is a few kilobytes of
// decoding whatever the size of the log. Reading the whole file with fs/promises would move only
// the read: decoding and splitting 32 MiB would still run on the loop.
import { open } from 'node:fs/promises';

const CHUNK_BYTES = 16 * 1024;

async function lastLines(path, count) {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const chunks = [];
    let position = size;
    let newlines = 0;
    // count + 1 newlines: the file ends with one, and one more marks where the first kept line starts.
    while (position > 0 && newlines <= count) {
      const length = Math.min(CHUNK_BYTES, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      await file.read(chunk, 0, length, position);
      for (const byte of chunk) if (byte === 0x0a) newlines += 1;
      chunks.unshift(chunk);
    }
    return Buffer.concat(chunks).toString('utf8').trimEnd().split('\n').slice(-count);
  } finally {
    await file.close();
  }
}

export default async function activity(app, { activityLog }) {
  app.get('/activity', async (request, reply) => {
    const raw = request.query.lines ?? '20';
    const count = /^\d{1,3}$/.test(raw) ? Number(raw) : 0;
    if (count < 1 || count > 100) return reply.code(400).send({ error: 'lines must be an integer from 1 to 100' });
    return { lines: await lastLines(activityLog, count) };
  });
}
