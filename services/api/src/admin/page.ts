// The control page: static HTML generated from the catalogue (so it lists exactly what the
// API accepts) plus one small script that polls GET /admin/faults and sends PUT/DELETE.
import { readFileSync } from 'node:fs';
import { catalogue, TTL_SECONDS } from '../faults/catalogue.js';
import { describeAllowed } from '../faults/validate.js';
import { assetPath } from '../paths.js';

// Inside <script type="application/json">, only "</script" could end the element early.
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

// Inlined rather than served as /admin/page.js: with LAB_ADMIN_TOKEN set every /admin* route
// needs the token, and a <script src> cannot send it.
function scriptForInline(code: string): string {
  return code.replace(/<\/script/gi, '<\\/script');
}

let page: string | undefined;
let script: string | undefined;

export function controlPageHtml(): string {
  if (page) return page;
  const descriptions = Object.entries(catalogue).map(([, spec]) =>
    Object.fromEntries(Object.entries(spec.params).map(([param, p]) => [param, describeAllowed(p)])),
  );
  const allowed = Object.fromEntries(Object.keys(catalogue).map((name, i) => [name, descriptions[i]]));
  page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>runtime-lab · faults</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; max-width: 70rem; color: #222; }
  header { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
  h1 { font-size: 1.3rem; margin: 0; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(28rem, 1fr)); gap: 1rem; margin-top: 1rem; }
  section { border: 1px solid #ccc; border-radius: 6px; padding: .8rem 1rem; }
  section.on { border-color: #c0392b; box-shadow: 0 0 0 2px #f5b7b1; }
  section[data-kind="mitigation"].on { border-color: #1e8449; box-shadow: 0 0 0 2px #abebc6; }
  h2 { font-size: 1.05rem; margin: 0 0 .3rem; display: flex; justify-content: space-between; gap: .5rem; }
  .kind { font-size: .75rem; text-transform: uppercase; color: #666; }
  .state { font-weight: 600; }
  p { margin: .3rem 0; }
  .observe { color: #555; font-style: italic; }
  label { display: block; margin: .35rem 0; }
  label small { color: #666; display: block; }
  input[type=number], select { width: 9rem; }
  .actions { margin-top: .5rem; display: flex; gap: .5rem; }
  .message { min-height: 1.2em; font-size: .9rem; white-space: pre-wrap; }
  .message.error { color: #c0392b; }
  #status.error { color: #c0392b; }
</style>
</head>
<body>
<header>
  <h1>runtime-lab · faults and mitigations</h1>
  <button id="reset-all" type="button">Reset all (everything healthy)</button>
  <span id="status">loading…</span>
  <label id="token-box" hidden>Admin token <input id="token" type="password" autocomplete="off"></label>
</header>
<p>Every toggle turns itself off after its TTL (default ${TTL_SECONDS.default} s; a TTL above ${TTL_SECONDS.max} s is clamped to ${TTL_SECONDS.max} s). A value above a parameter's maximum is clamped to that maximum, never refused.</p>
<div class="grid" id="toggles"></div>
<script type="application/json" id="catalogue">${jsonForScript({ toggles: catalogue, ttlSeconds: TTL_SECONDS, allowed })}</script>
<script>${scriptForInline(controlPageScript())}</script>
</body>
</html>
`;
  return page;
}

function controlPageScript(): string {
  script ??= readFileSync(assetPath('admin-page.js'), 'utf8');
  return script;
}
