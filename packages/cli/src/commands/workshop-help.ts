// `lab workshop --help` and each subcommand's help. Kept beside the command so the two stay true together;
// defaults and ranges come from the code that applies them.
import { MITIGATE_SECONDS, MYSTERY_KINDS, MYSTERY_TTL_SECONDS, API_ROUTE_NAMES } from '@runtime-lab/workshop';

export const WORKSHOP_HELP: Record<string, string> = {
  '': `lab workshop: the runtime-lab workshop (modules, exercises, mystery incidents)

Usage:
  lab workshop list                       the modules, in order, with your progress
  lab workshop show <module> [--answers]  print a module for the terminal (goals, questions, steps; --answers: with the answer key)
  lab workshop run <module> [--compose]   run the module's scenario (--quick); --compose prints the compose command instead
  lab workshop answer <module> <question> <choice>
                                          check a prediction: right → the explanation; wrong → a hint
  lab workshop verify <exercise> [--dir DIR]
                                          run YOUR version of the exercise service under load and judge its signals
  lab workshop mystery start|diagnose|mitigate|reveal
                                          a hidden fault on the lab api: find it, name it, mitigate it
  lab workshop progress                   what you answered, verified and solved
  lab workshop reset                      forget your progress and end a running mystery incident
  lab workshop check                      laptop check before the day: Node, ports, Docker, Prometheus, disk

  lab workshop <subcommand> --help        details of one subcommand

Progress is kept in $LAB_STATE_DIR (default .lab/) as workshop-progress.json.

Exit codes:
  0  done / right / passed
  1  a wrong answer, a failed verify or diagnosis or mitigation, a FAIL in the laptop check
  2  usage error, or the command could not run (no api, a module file that does not validate)
`,
  list: 'lab workshop list\n  The modules in teaching order: number, id, minutes, title, and how many of its questions you answered right.\n',
  show: 'lab workshop show <module> [--answers]\n  Prints the module (without its front matter) for the terminal, then its prediction questions with their choices.\n  The "Answer key" section is left out unless --answers is given (for instructors).\n',
  run: `lab workshop run <module> [--compose] [--out DIR] [--api URL] [--metrics URL] [--runner-port N|off] [--no-start]
  Runs the module's scenario with its short profile, exactly as \`lab run <scenario> --quick\` (same options,
  same report), then compares the module's expected observations with what this run measured.
  --compose   print the command for the compose path (docker compose run --rm lab run <scenario> --quick)
  Exit code: the run's (0 expectations met, 1 one failed, 2 could not run or inconclusive: the runner fell
  behind its schedule, so the figures, and the observations compared with them, are no evidence; run again).
`,
  answer: `lab workshop answer <module> <question> <choice>
  Checks a prediction question of a module (ids: \`lab workshop show <module>\`).
  Right: prints the explanation, exit 0. Wrong: prints a hint (never the answer), exit 1.
`,
  verify: `lab workshop verify <exercise> [--dir DIR]
  Exercises: login-hash (routes/login.mjs), json-parse (routes/products.mjs), file-read (routes/activity.mjs),
  fan-out (routes/dashboard.mjs).
  Starts workshop/exercise-service/server.mjs as a real process with YOUR current route files (or those
  in --dir), checks that the answers did not change, runs open-loop load on loopback for about 6 s, reads
  the service's watchdog /metrics, and says PASS or FAIL with a hint that points at the signal.
  Exit code: 0 pass, 1 fail, 2 could not run.
`,
  mystery: `lab workshop mystery start [--seed N] [--ttl S] [--api URL] [--kind K] [--no-traffic]
  Switches on a hidden fault on the lab api (drawn at random; --seed replays a draw; --kind for instructors)
  plus background traffic on every route, for --ttl seconds (${MYSTERY_TTL_SECONDS.min}–${MYSTERY_TTL_SECONDS.max}, default ${MYSTERY_TTL_SECONDS.default}). \`lab fault list\`, GET
  /admin/faults, the /admin page and lab_fault_active show only that a mystery is on, not which.
  Investigate with lab audit, dashboards, /metrics and your own requests; \`lab run\`, \`lab fault clear\` and
  the page's reset switch every fault off, this one included.
lab workshop mystery diagnose <kind> <route>
  kinds: ${MYSTERY_KINDS.join(', ')};
  routes: ${API_ROUTE_NAMES.join(', ')}. Wrong: a hint and exit 1.
lab workshop mystery mitigate <mitigation> [--seconds N]
  Measures the incident's telling route (open loop) for N s (${MITIGATE_SECONDS.min}–${MITIGATE_SECONDS.max}, default ${MITIGATE_SECONDS.default}), switches the mitigation on,
  measures again: it passes when the client P99 at least halved.
lab workshop mystery reveal
  Shows what it was and switches it off (with its mitigations and traffic).
`,
  progress: 'lab workshop progress\n  Answers, exercises and incidents so far (from workshop-progress.json in the lab state folder).\n',
  reset: 'lab workshop reset\n  Ends a running mystery incident (fault, mitigations, traffic off) and deletes your progress.\n',
  check: `lab workshop check
  The laptop check: Node line (22, 24, 26 supported), the lab's ports free (and how to move them:
  API_PORT, API_METRICS_PORT, DOWNSTREAM_PORT, DOWNSTREAM_METRICS_PORT and PROMETHEUS_PORT move the
  native lab and compose alike; the runner's metrics port is LAB_RUNNER_METRICS_PORT natively and
  RUNNER_METRICS_PORT in compose; GRAFANA_PORT is compose only), the build, Docker and the compose
  images, Prometheus, disk space.
  Exit code: 0 when nothing FAILs (WARN is fine), 1 otherwise.
`,
};
