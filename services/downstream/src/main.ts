// Entry point: node services/downstream/dist/src/main.js — downstream under its signal
// supervisor (@runtime-lab/service-kit's supervise.ts), the way `lab up`, the Dockerfile and docker-compose.yml start it.
// server.js alone also runs, without the supervisor's guarantees.
import { fileURLToPath } from 'node:url';
import { supervise } from '@runtime-lab/service-kit/supervise';

supervise({ service: 'downstream', script: fileURLToPath(new URL('./server.js', import.meta.url)) });
