#!/usr/bin/env node
import { tolerateClosedOutput } from './closed-output.js';
import { main } from './main.js';

tolerateClosedOutput(process.stdout);
tolerateClosedOutput(process.stderr);
process.exitCode = await main(process.argv.slice(2));
