// @runtime-lab/workshop: what `lab workshop` is made of (the CLI prints; this package decides).
export { laptopCheck, checkNode, type CheckItem, type PortToCheck, type Status } from './check.js';
export { WorkshopError, type WorkshopErrorCode } from './errors.js';
export { EXERCISES, EXERCISE_IDS, type ExerciseId } from './exercises/catalogue.js';
export { DEFAULT_ROUTES_DIR, verifyExercise, type VerifyResult } from './exercises/verify.js';
export { BODY_SECTIONS, findModule, loadModules, parseModule, type WorkshopModule, type PredictQuestion } from './modules.js';
export {
  MITIGATE_SECONDS,
  MYSTERY_TTL_SECONDS,
  describeDraw,
  diagnoseMystery,
  endMystery,
  mitigateMystery,
  revealMystery,
  startMystery,
} from './mystery.js';
export { API_ROUTE_NAMES, MYSTERIES, MYSTERY_KINDS, type MysteryKind } from './mystery-catalogue.js';
export { checkObservations, type CheckResult } from './observations.js';
export { MODULES_DIR, WORKSHOP_ROOT, EXERCISE_SERVICE_DIR } from './paths.js';
export { clearProgress, readMystery, readProgress, updateProgress, type Progress } from './state.js';
