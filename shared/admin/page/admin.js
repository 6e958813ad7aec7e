// The admin page: plain browser JavaScript, no build step. It holds no data until the admin key
// is given; the key lives in sessionStorage (this tab only) and goes out only as a Bearer header.
(() => {
  const KEY = 'phonelink-admin-key';
  // Each users refresh reads every integrated user's stored calendar (storage transactions):
  // polled gently, and not at all while the tab is hidden.
  const LOG_POLL_MS = 2000;
  const STATUS_POLL_MS = 5000;
  const USERS_POLL_MS = 10_000;
  const HEALTH_POLL_MS = 60_000;
  const $ = (id) => document.getElementById(id);
  // The page is /api/admin: the API is beside it, also behind a proxy that adds a path prefix.
  const BASE = location.pathname.replace(/admin\/?$/, '');
  let logCursor = null;
  let selectedUser = null;
  let settingsView = null;
  let timers = [];

  const SETTINGS_FORM = [
    ['General', ['CALENDAR_SOURCE', 'CALLBACK_URL']],
    [
      'Microsoft Graph (Exchange Online)',
      [
        'GRAPH_TENANT_ID',
        'GRAPH_CLIENT_ID',
        'GRAPH_CLIENT_SECRET',
        'GRAPH_CLIENT_CERTIFICATE_PATH',
        'GRAPH_BASE_URL',
        'GRAPH_AUTHORITY_HOST',
      ],
    ],
    ['EWS (Exchange Server)', ['EWS_SERVER', 'EWS_URL', 'EWS_USERNAME', 'EWS_PASSWORD', 'EWS_AUTH']],
    ['PHONE-LiNK', ['PHONELINK_URL', 'PHONELINK_API_KEY', 'PHONELINK_WEBHOOK_SECRET']],
    ['Scan and policy', ['SCAN_SCHEDULE', 'SCAN_WINDOW_DAYS', 'TENTATIVE_AS', 'SHARE_SUBJECTS']],
    [
      'Deployment (read only)',
      ['AzureWebJobsStorage', 'ADMIN_API_KEY', 'APPLICATIONINSIGHTS_CONNECTION_STRING'],
    ],
  ];
  // The choices and the read-only names, from the server's catalog of settings (one list, not two).
  const { choices: CHOICES, readOnly: READ_ONLY } = JSON.parse(
    document.getElementById('settings-catalog').textContent,
  );

  class Unauthorized extends Error {}

  async function api(path, init = {}) {
    const key = sessionStorage.getItem(KEY);
    if (key === null) throw new Unauthorized();
    const response = await fetch(`${BASE}${path}`, {
      ...init,
      headers: {
        ...(init.headers || {}),
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
      },
      cache: 'no-store',
    });
    if (response.status === 401) throw new Unauthorized();
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const detail = body?.problems
        ? body.problems.map((p) => `${p.name} ${p.problem}`).join('; ')
        : body?.message;
      throw new Error(detail || `HTTP ${response.status}`);
    }
    return body;
  }

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === 'class') node.className = value;
      else if (name.startsWith('data-')) node.setAttribute(name, value);
      else node[name] = value;
    }
    for (const child of children) node.append(child ?? '');
    return node;
  };
  // The API speaks UTC; people read their own clock.
  const localTimes = (text) =>
    text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, (iso) => new Date(iso).toLocaleString());
  const time = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
  const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '—');
  const badge = (availability) =>
    availability
      ? el('span', { class: `avail ${availability}` }, availability)
      : el('span', { class: 'muted' }, 'unknown');
  const facts = (dl, pairs) => {
    dl.replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v ?? '—')]));
  };

  function askForKey(message) {
    for (const t of timers) clearInterval(t);
    timers = [];
    $('main').hidden = true;
    $('sign-out').hidden = true;
    $('key-error').textContent = message || '';
    $('key-input').value = '';
    if (!$('key-dialog').open) $('key-dialog').showModal();
  }

  async function guarded(work) {
    try {
      await work();
    } catch (error) {
      if (error instanceof Unauthorized) {
        sessionStorage.removeItem(KEY);
        askForKey('That key was not accepted.');
      } else {
        $('control-message').textContent = String(error.message || error);
      }
    }
  }

  async function refreshStatus() {
    const status = await api('status');
    const pill = $('status');
    pill.textContent = status.status;
    pill.className = `pill ${status.status}`;
    $('status-cause').textContent = status.cause || '';
    $('activate').checked = status.integrationEnabled;
    $('force-now').disabled = !status.integrationEnabled;
    facts($('status-details'), [
      ['Exchange', `${status.source === 'graph' ? 'Microsoft Graph' : 'EWS'}${part(status.exchange)}`],
      ['PHONE-LiNK', part(status.phonelink).replace(/^ · /, '') || 'no call yet'],
      ['Checked', time(status.checkedAt)],
    ]);
  }
  const part = (p) => (p.ok === null ? '' : p.ok ? ` · working (${time(p.at)})` : ` · failing: ${p.cause}`);

  async function refreshHealth() {
    const health = await api('health');
    $('health-summary').textContent =
      `${health.users.integrated} integrated users · ${health.calendars.read} calendars read · ` +
      `${health.subscriptions.total} subscriptions` +
      (health.phonelink ? ` · PHONE-LiNK ${health.phonelink.ok ? 'reachable' : 'unreachable'}` : '');
    const items = health.warnings.map((w) => el('li', { class: w.severity }, `${w.area}: ${w.text}`));
    if (items.length === 0) items.push(el('li', { class: 'ok' }, 'All good: nothing needs attention.'));
    $('health').replaceChildren(...items);
  }

  async function refreshUsers() {
    const data = await api('users');
    const rows = data.users.map((u) => {
      const row = el(
        'tr',
        { 'data-user': u.id, title: 'Open the advanced view' },
        el('td', {}, el('strong', {}, u.name), el('br'), el('span', { class: 'muted' }, u.email || '')),
        el('td', {}, badge(u.availability), u.note ? el('div', { class: 'muted' }, u.note) : ''),
        el(
          'td',
          {},
          localTimes(u.why.text),
          u.why.basedOn ? el('div', { class: 'muted' }, localTimes(u.why.basedOn)) : '',
        ),
        el('td', {}, clock(u.until)),
        el('td', {}, badge(u.phonelink.availability)),
        el('td', {}, time(u.lastNotificationAt)),
        el('td', {}, time(u.phonelink.pushedAt)),
      );
      row.addEventListener('click', () => guarded(() => openUser(u.id)));
      return row;
    });
    $('users').tBodies[0].replaceChildren(...rows);
    $('skipped').textContent = data.skipped.length
      ? `Not integrated: ${data.skipped.map((s) => `${s.name} (${s.reason || 'not ticked'})`).join(', ')}`
      : '';
    if (selectedUser !== null) await openUser(selectedUser);
  }

  async function openUser(id) {
    selectedUser = id;
    const u = await api(`users/${encodeURIComponent(id)}/appointments`);
    $('advanced').hidden = false;
    $('advanced-name').textContent = `${u.name} <${u.email || 'no email'}>`;
    $('advanced-why').replaceChildren(badge(u.availability), ' ', localTimes(u.why.text));
    const oof = u.outOfOffice;
    facts($('advanced-facts'), [
      [
        'Out-of-office',
        oof ? `${oof.status}${oof.start ? ` ${time(oof.start)} – ${time(oof.end)}` : ''}` : '—',
      ],
      ['Time zone', u.timeZone],
      ['Calendar read', `${time(u.calendarReadAt)} (${u.calendarReadBecause || '—'})`],
      ['Last notification', time(u.lastNotificationAt)],
      [
        'Last push',
        `${time(u.phonelink.pushedAt)}${u.phonelink.sequence !== null ? ` · sequence ${u.phonelink.sequence}` : ''}`,
      ],
      [
        'Subscription',
        u.subscription ? `${u.subscription.source}, expires ${time(u.subscription.expiresAt)}` : 'none',
      ],
      ['Read error', u.calendarError],
    ]);
    $('appointments').tBodies[0].replaceChildren(
      ...u.appointments.map((a) =>
        el(
          'tr',
          { class: a.now ? 'now' : '' },
          el('td', {}, a.isAllDay ? `${new Date(a.start).toLocaleDateString()} (all day)` : time(a.start)),
          el('td', {}, time(a.end)),
          el('td', {}, a.subjectHidden ? el('em', { class: 'muted' }, 'private') : a.subject),
          el('td', {}, a.showAs + (a.isCancelled ? ', cancelled' : '') + (a.isDeclined ? ', declined' : '')),
          el('td', {}, a.countsAs ? badge(a.countsAs) : el('span', { class: 'muted' }, 'does not count')),
        ),
      ),
    );
    if (u.appointments.length === 0) {
      $('appointments').tBodies[0].append(
        el('tr', {}, el('td', { colSpan: 5, class: 'muted' }, 'No appointments in the window.')),
      );
    }
    $('transitions').tBodies[0].replaceChildren(
      ...u.transitions.map((t) =>
        el(
          'tr',
          {},
          el('td', {}, time(t.at)),
          el('td', {}, badge(t.availability)),
          el('td', {}, t.greeting),
          el('td', {}, t.note || ''),
          el('td', {}, t.source),
        ),
      ),
    );
  }

  async function pollLog() {
    for (;;) {
      const page = await api(`log${logCursor ? `?after=${encodeURIComponent(logCursor)}` : ''}`);
      const log = $('log');
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      for (const entry of page.entries) {
        log.append(el('div', { class: entry.level }, `${clock(entry.at)}  ${entry.line}`));
      }
      logCursor = page.cursor;
      if (atBottom) log.scrollTop = log.scrollHeight;
      if (!page.more) return;
    }
  }

  function renderSettings(view) {
    settingsView = view;
    const form = $('settings');
    const groups = SETTINGS_FORM.map(([legend, names]) =>
      el('fieldset', {}, el('legend', {}, legend), ...names.map((name) => field(name, view[name]))),
    );
    form.replaceChildren(
      ...groups,
      el('button', { type: 'submit' }, 'Save'),
      el('span', { class: 'message', id: 'settings-message' }),
    );
  }

  function field(name, value) {
    let input;
    const secret = value !== null && typeof value === 'object';
    if (secret) {
      const readOnly = READ_ONLY.includes(name);
      input = el('input', {
        type: 'password',
        name,
        placeholder: value.set ? (readOnly ? 'set' : 'set (type to replace)') : 'not set',
        autocomplete: 'new-password',
      });
      input.disabled = readOnly;
      const state = el('span', { class: 'secret-state', 'data-secret': name }, value.set ? 'set' : 'not set');
      return el('label', {}, name, el('span', {}, input, ' ', state));
    }
    if (typeof value === 'boolean') input = el('input', { type: 'checkbox', name, checked: value });
    else if (CHOICES[name])
      input = el(
        'select',
        { name },
        ...CHOICES[name].map((c) => el('option', { value: c, selected: c === value }, c)),
      );
    else if (typeof value === 'number') input = el('input', { type: 'number', name, value: String(value) });
    else input = el('input', { type: 'text', name, value: value ?? '' });
    return el('label', {}, name, input);
  }

  async function saveSettings(event) {
    event.preventDefault();
    const changes = {};
    for (const input of $('settings').querySelectorAll('[name]')) {
      const name = input.name;
      const before = settingsView[name];
      if (READ_ONLY.includes(name)) continue;
      if (input.type === 'password') {
        if (input.value !== '') changes[name] = input.value;
      } else if (input.type === 'checkbox') {
        if (input.checked !== before) changes[name] = input.checked;
      } else if (input.type === 'number') {
        if (Number(input.value) !== before) changes[name] = Number(input.value);
      } else if (input.value !== (before ?? '')) {
        changes[name] = input.value === '' ? null : input.value;
      }
    }
    const message = $('settings-message');
    if (Object.keys(changes).length === 0) {
      message.textContent = ' Nothing changed.';
      return;
    }
    try {
      renderSettings(await api('settings', { method: 'PUT', body: JSON.stringify(changes) }));
      $('settings-message').textContent = ` Saved: ${Object.keys(changes).join(', ')}`;
      await refreshStatus();
    } catch (error) {
      if (error instanceof Unauthorized) throw error;
      message.textContent = ` Not saved: ${error.message}`;
    }
  }

  async function start() {
    $('key-dialog').close();
    $('main').hidden = false;
    $('sign-out').hidden = false;
    await refreshStatus();
    renderSettings(await api('settings'));
    await Promise.all([refreshUsers(), refreshHealth(), pollLog()]);
    const every = (ms, work) => timers.push(setInterval(() => document.hidden || guarded(work), ms));
    every(LOG_POLL_MS, pollLog);
    every(STATUS_POLL_MS, refreshStatus);
    every(USERS_POLL_MS, refreshUsers);
    every(HEALTH_POLL_MS, refreshHealth);
  }

  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $('key-input').value.trim());
    guarded(start);
  });
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    askForKey('');
  });
  $('force-now').addEventListener('click', () =>
    guarded(async () => {
      await api('scan', { method: 'POST', body: '{}' });
      $('control-message').textContent = `Scan requested ${new Date().toLocaleTimeString()}`;
      await pollLog();
    }),
  );
  $('activate').addEventListener('change', (event) =>
    guarded(async () => {
      renderSettings(
        await api('settings', {
          method: 'PUT',
          body: JSON.stringify({ INTEGRATION_ENABLED: event.target.checked }),
        }),
      );
      await refreshStatus();
      await pollLog();
    }),
  );
  $('advanced-close').addEventListener('click', () => {
    selectedUser = null;
    $('advanced').hidden = true;
  });
  $('settings').addEventListener('submit', (event) => guarded(() => saveSettings(event)));

  if (sessionStorage.getItem(KEY) === null) askForKey('');
  else guarded(start);
})();
