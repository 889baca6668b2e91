// Where the workshop's files live (this file is workshop/dist/src/paths.js).
import { fileURLToPath } from 'node:url';

export const WORKSHOP_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MODULES_DIR = fileURLToPath(new URL('../../modules/', import.meta.url));
/** The attendee's copy of the exercise service: the files they edit. */
export const EXERCISE_SERVICE_DIR = fileURLToPath(new URL('../../exercise-service/', import.meta.url));
