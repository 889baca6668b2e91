// Small HTTP servers in child processes, so their stalls cannot stall the test.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface ChildServer {
  port: number;
  child: ChildProcess;
  lines: string[];
  close(): Promise<void>;
}

/** Runs `source` (CommonJS, must print its port on the first stdout line) in a child process. */
export async function childServer(source: string): Promise<ChildServer> {
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buffer = '';
  const firstLine = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`test server exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf('\n');
      while (nl !== -1) {
        lines.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
      if (lines.length > 0) resolve(lines[0] as string);
    });
  });
  const port = Number(await firstLine);
  return {
    port,
    child,
    lines,
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
