// Entry point: node services/api/dist/src/main.js — the api under its signal supervisor, the way
// `lab up`, the Dockerfile and docker-compose.yml start it: SIGTERM or SIGINT during a 30 s
// blocking fault then ends the block at once and the api exits 0 within a second.
// server.js alone also runs, but SIGTERM then waits for the current block to end (it warns).
import { supervise } from '@runtime-lab/service-kit/supervise';
import { fileURLToPath } from 'node:url';

supervise({ service: 'api', script: fileURLToPath(new URL('./server.js', import.meta.url)) });
