// Control page script (plain browser JS, served by GET /admin/page.js). It builds one card per
// toggle from the catalogue embedded in the page, polls GET /admin/faults for live state, and
// sends PUT/DELETE. With LAB_ADMIN_TOKEN set, the token comes from ?token= (then removed from
// the address bar) or the token box, and is sent as a bearer header.
(() => {
  const { toggles, ttlSeconds, allowed } = JSON.parse(document.getElementById('catalogue').textContent);
  const statusEl = document.getElementById('status');
  const tokenBox = document.getElementById('token-box');
  const tokenInput = document.getElementById('token');
  const cards = new Map();

  const url = new URL(location.href);
  if (url.searchParams.has('token')) {
    sessionStorage.setItem('labAdminToken', url.searchParams.get('token'));
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search);
  }
  tokenInput.value = sessionStorage.getItem('labAdminToken') ?? '';
  tokenInput.addEventListener('change', () => sessionStorage.setItem('labAdminToken', tokenInput.value));

  async function api(method, path, body) {
    const headers = {};
    const token = tokenInput.value;
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const payload = await response.json().catch(() => ({}));
    if (response.status === 401) tokenBox.hidden = false;
    return { ok: response.ok, status: response.status, payload };
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === 'text') node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function paramInput(name, param, spec) {
    const hint = el('small', { text: `${spec.description} Allowed: ${allowed[name][param]}.` });
    if (spec.type === 'enum') {
      const select = el('select', { name: param });
      for (const value of spec.values) select.append(el('option', { value, text: value }));
      return el('label', {}, `${param} `, select, hint);
    }
    if (spec.type === 'set') {
      const box = el('span', { 'data-set': param });
      for (const value of spec.values) {
        box.append(
          el('label', { style: 'display:inline; margin-right:.6rem' }, el('input', { type: 'checkbox', name: param, value }), ` ${value}`),
        );
      }
      return el('label', {}, `${param}: `, box, hint);
    }
    if (spec.type === 'trigger') {
      const text = el('input', { type: 'text', name: param, placeholder: 'body:customer=acme', maxlength: '330' });
      return el('label', {}, `${param} `, text, hint);
    }
    const input = el('input', { type: 'number', name: param, min: String(spec.min), step: spec.type === 'integer' ? '1' : 'any' });
    return el('label', {}, `${param}${spec.unit ? ` (${spec.unit})` : ''} `, input, hint);
  }

  function readForm(card) {
    const body = {};
    for (const [param, spec] of Object.entries(toggles[card.dataset.toggle].params)) {
      if (spec.type === 'set') {
        body[param] = [...card.querySelectorAll(`input[name="${param}"]:checked`)].map((i) => i.value);
      } else if (spec.type === 'enum') {
        body[param] = card.querySelector(`select[name="${param}"]`).value;
      } else if (spec.type === 'trigger') {
        body[param] = card.querySelector(`input[name="${param}"]`).value;
      } else {
        const raw = card.querySelector(`input[name="${param}"]`).value;
        // An empty or non-numeric field is sent as typed, so the API's 400 explains what is allowed.
        body[param] = raw === '' || Number.isNaN(Number(raw)) ? raw : Number(raw);
      }
    }
    const ttl = card.querySelector('input[name="ttlSeconds"]').value;
    if (ttl !== '') body.ttlSeconds = Number.isNaN(Number(ttl)) ? ttl : Number(ttl);
    return body;
  }

  function fillForm(card, params) {
    for (const [param, value] of Object.entries(params)) {
      const spec = toggles[card.dataset.toggle].params[param];
      if (!spec) continue;
      if (spec.type === 'set') {
        for (const box of card.querySelectorAll(`input[name="${param}"]`)) box.checked = value.includes(box.value);
      } else {
        card.querySelector(`[name="${param}"]`).value = String(value);
      }
    }
  }

  function showMessage(card, text, isError) {
    const message = card.querySelector('[data-field="message"]');
    message.textContent = text;
    message.className = isError ? 'message error' : 'message';
  }

  async function apply(card) {
    const name = card.dataset.toggle;
    const { ok, payload } = await api('PUT', `/admin/faults/${encodeURIComponent(name)}`, readForm(card));
    if (!ok) {
      showMessage(card, payload.message ?? 'request failed', true);
      return;
    }
    card.dataset.dirty = '';
    const notes = (payload.clamped ?? []).map((c) => `${c.param} clamped from ${c.requested} to ${c.applied}`);
    notes.push(...(payload.warnings ?? []));
    showMessage(card, notes.length ? notes.join('\n') : 'applied', false);
    await refresh();
  }

  async function turnOff(card) {
    const { ok, payload } = await api('DELETE', `/admin/faults/${encodeURIComponent(card.dataset.toggle)}`);
    showMessage(card, ok ? 'turned off' : (payload.message ?? 'request failed'), !ok);
    card.dataset.dirty = '';
    await refresh();
  }

  const grid = document.getElementById('toggles');
  for (const [name, spec] of Object.entries(toggles)) {
    const card = el('section', { 'data-toggle': name, 'data-kind': spec.kind });
    card.append(
      el('h2', {}, el('span', { text: spec.title }), el('span', { class: 'kind', text: `${spec.kind} · ${name}` })),
      el('p', { class: 'state', 'data-field': 'state', text: 'off' }),
      el('p', { text: spec.description }),
      el('p', { class: 'observe', text: `Look for: ${spec.observe}` }),
    );
    for (const [param, p] of Object.entries(spec.params)) card.append(paramInput(name, param, p));
    card.append(
      el(
        'label',
        {},
        'ttlSeconds ',
        el('input', {
          type: 'number',
          name: 'ttlSeconds',
          min: String(ttlSeconds.min),
          step: '1',
          placeholder: String(ttlSeconds.default),
        }),
      ),
    );
    const applyButton = el('button', { type: 'button', 'data-action': 'apply', text: 'Turn on / update' });
    const offButton = el('button', { type: 'button', 'data-action': 'off', text: 'Turn off' });
    applyButton.addEventListener('click', () => apply(card));
    offButton.addEventListener('click', () => turnOff(card));
    card.append(el('div', { class: 'actions' }, applyButton, offButton), el('div', { class: 'message', 'data-field': 'message' }));
    // Polling must not overwrite what the user is typing.
    card.addEventListener('input', () => {
      card.dataset.dirty = 'yes';
    });
    grid.append(card);
    cards.set(name, card);
  }

  document.getElementById('reset-all').addEventListener('click', async () => {
    const { ok, payload } = await api('DELETE', '/admin/faults');
    statusEl.textContent = ok ? 'all faults and mitigations off' : (payload.message ?? 'reset failed');
    for (const card of cards.values()) card.dataset.dirty = '';
    await refresh();
  });

  async function refresh() {
    try {
      const { ok, payload } = await api('GET', '/admin/faults');
      if (!ok) throw new Error(payload.message ?? 'cannot read state');
      for (const toggle of payload.faults) {
        const card = cards.get(toggle.name);
        if (!card) continue;
        card.classList.toggle('on', toggle.active);
        card.dataset.active = String(toggle.active);
        card.querySelector('[data-field="state"]').textContent = toggle.active
          ? `ON · ${toggle.remainingSeconds} s left (until ${new Date(toggle.expiresAt).toLocaleTimeString()})`
          : 'off';
        if (card.dataset.dirty !== 'yes') fillForm(card, toggle.params);
      }
      statusEl.className = '';
      statusEl.textContent = `live · ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      statusEl.className = 'error';
      statusEl.textContent = String(error.message ?? error);
    }
  }

  refresh();
  setInterval(refresh, 1000);
})();
