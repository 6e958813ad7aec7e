// @ts-check
// The admin page: plain browser JavaScript, no build step, type-checked (page/tsconfig.json) against
// the views the admin API answers. It holds no data until the admin key is given; the key lives
// in sessionStorage (this tab only) and goes out only as a Bearer header.
/** @typedef {import('../page-catalog.ts').PageCatalog} PageCatalog */
/** @typedef {import('../page-catalog.ts').PageField} PageField */
/** @typedef {import('../admin-settings.ts').SettingsView} SettingsView */
/** @typedef {import('../admin-settings.ts').SettingValue} SettingValue */
/** @typedef {import('../admin-status.ts').StatusView} StatusView */
/** @typedef {import('../admin-log-view.ts').LogPage} LogPage */
/** @typedef {Awaited<ReturnType<typeof import('../admin-health.ts').getHealth>>} HealthView */
/** @typedef {Awaited<ReturnType<typeof import('../admin-users.ts').listUsers>>} UsersView */
/** @typedef {NonNullable<Awaited<ReturnType<typeof import('../admin-users.ts').userAppointments>>>} UserView */
(() => {
  const KEY = 'phonelink-admin-key';
  // Each users refresh reads every integrated user's stored calendar (storage transactions):
  // polled gently, and not at all while the tab is hidden.
  const LOG_POLL_MS = 2000;
  const STATUS_POLL_MS = 5000;
  const USERS_POLL_MS = 10_000;
  const HEALTH_POLL_MS = 60_000;
  /**
   * The element with this id, of this type (the page's HTML is fixed: a missing one is a bug).
   * @template {HTMLElement} T
   * @param {string} id
   * @param {new () => T} type
   * @returns {T}
   */
  const byId = (id, type) => {
    const node = document.getElementById(id);
    if (!(node instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
    return node;
  };
  /** @param {string} id */
  const $ = (id) => byId(id, HTMLElement);
  /** @param {string} id */
  const input = (id) => byId(id, HTMLInputElement);
  /** @param {string} id */
  const table = (id) => {
    const body = byId(id, HTMLTableElement).tBodies[0];
    if (body === undefined) throw new Error(`#${id} has no body`);
    return body;
  };
  // The page is /api/admin: the API is beside it, also behind a proxy that adds a path prefix.
  const BASE = location.pathname.replace(/admin\/?$/, '');
  /** @type {string | null} */
  let logCursor = null;
  /** @type {string | null} */
  let selectedUser = null;
  /** @type {SettingsView} */
  let settingsView = {};
  /** @type {ReturnType<typeof setInterval>[]} */
  let timers = [];

  // The form's groups, labels, choices and read-only names: the server's settings table (one list, not two).
  /** @type {PageCatalog} */
  const CATALOG = JSON.parse($('settings-catalog').textContent ?? '{"groups":[]}');
  const FIELDS = new Map(CATALOG.groups.flatMap((g) => g.fields.map((f) => [f.name, f])));

  class Unauthorized extends Error {}

  /**
   * One call of the admin API; its answer as the route's view type says.
   * @param {string} path
   * @param {{ method?: string, body?: string }} [init]
   * @returns {Promise<unknown>}
   */
  async function api(path, init = {}) {
    const key = sessionStorage.getItem(KEY);
    if (key === null) throw new Unauthorized();
    const response = await fetch(`${BASE}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      cache: 'no-store',
    });
    if (response.status === 401) throw new Unauthorized();
    /** @type {{ problems?: { name: string, problem: string }[], message?: string } | null} */
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const detail = body?.problems
        ? body.problems.map((p) => `${p.name} ${p.problem}`).join('; ')
        : body?.message;
      throw new Error(detail || `HTTP ${response.status}`);
    }
    return body;
  }
  // The answers of the routes, typed by the server's own view types.
  const getStatus = async () => /** @type {StatusView} */ (await api('status'));
  const getHealth = async () => /** @type {HealthView} */ (await api('health'));
  const getUsers = async () => /** @type {UsersView} */ (await api('users'));
  /** @param {string} id */
  const getUser = async (id) =>
    /** @type {UserView} */ (await api(`users/${encodeURIComponent(id)}/appointments`));
  /** @param {string | null} after */
  const getLog = async (after) =>
    /** @type {LogPage} */ (await api(`log${after ? `?after=${encodeURIComponent(after)}` : ''}`));
  /** @param {Record<string, SettingValue> | null} changes */
  const settings = async (changes = null) =>
    /** @type {SettingsView} */ (
      await api('settings', changes === null ? {} : { method: 'PUT', body: JSON.stringify(changes) })
    );

  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {Record<string, unknown>} [attrs]
   * @param {...(Node | string | null | undefined)} children
   * @returns {HTMLElementTagNameMap[K]}
   */
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === 'class') node.className = String(value);
      else if (name.startsWith('data-')) node.setAttribute(name, String(value));
      else Reflect.set(node, name, value);
    }
    for (const child of children) node.append(child ?? '');
    return node;
  };
  // The API speaks UTC; people read their own clock.
  /** @param {string} text */
  const localTimes = (text) =>
    text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, (iso) => new Date(iso).toLocaleString());
  /** @param {string | null | undefined} iso */
  const time = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
  /** @param {string | null | undefined} iso */
  const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '—');
  /** @param {string | null | undefined} availability */
  const badge = (availability) =>
    availability
      ? el('span', { class: `avail ${availability}` }, availability)
      : el('span', { class: 'muted' }, 'unknown');
  /**
   * @param {HTMLElement} dl
   * @param {[string, string | null | undefined][]} pairs
   */
  const facts = (dl, pairs) => {
    dl.replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v ?? '—')]));
  };

  /** @param {string} message */
  function askForKey(message) {
    for (const t of timers) clearInterval(t);
    timers = [];
    $('main').hidden = true;
    $('sign-out').hidden = true;
    $('key-error').textContent = message;
    input('key-input').value = '';
    const dialog = byId('key-dialog', HTMLDialogElement);
    if (!dialog.open) dialog.showModal();
  }

  /** @param {() => Promise<void>} work */
  async function guarded(work) {
    try {
      await work();
    } catch (error) {
      if (error instanceof Unauthorized) {
        sessionStorage.removeItem(KEY);
        askForKey('That key was not accepted.');
      } else {
        $('control-message').textContent = error instanceof Error ? error.message : String(error);
      }
    }
  }

  async function refreshStatus() {
    const status = await getStatus();
    const pill = $('status');
    pill.textContent = status.status;
    pill.className = `pill ${status.status}`;
    $('status-cause').textContent = status.cause || '';
    input('activate').checked = status.integrationEnabled;
    byId('force-now', HTMLButtonElement).disabled = !status.integrationEnabled;
    facts($('status-details'), [
      ['Exchange', `${EXCHANGE_PATHS[status.source]}${part(status.exchange)}`],
      ['PHONE-LiNK', part(status.phonelink).replace(/^ · /, '') || 'no call yet'],
      ['Checked', time(status.checkedAt)],
    ]);
  }
  const EXCHANGE_PATHS = {
    graph: 'Microsoft Graph',
    ews: 'EWS',
    hybrid: 'Hybrid (Exchange Online through Microsoft Graph, Exchange Server through EWS)',
  };
  /** @param {StatusView['exchange']} p */
  const part = (p) => (p.ok === null ? '' : p.ok ? ` · working (${time(p.at)})` : ` · failing: ${p.cause}`);

  async function refreshHealth() {
    const health = await getHealth();
    $('health-summary').textContent =
      `${health.users.integrated} integrated users · ${health.calendars.read} calendars read · ` +
      `${health.subscriptions.total} subscriptions` +
      (health.sides
        ? ` · ${health.sides.exchangeOnline} on Exchange Online, ${health.sides.exchangeServer} on Exchange Server` +
          (health.sides.noMailbox ? `, ${health.sides.noMailbox} with no mailbox on either side` : '')
        : '') +
      (health.phonelink ? ` · PHONE-LiNK ${health.phonelink.ok ? 'reachable' : 'unreachable'}` : '');
    const items = health.warnings.map((w) => el('li', { class: w.severity }, `${w.area}: ${w.text}`));
    if (items.length === 0) items.push(el('li', { class: 'ok' }, 'All good: nothing needs attention.'));
    $('health').replaceChildren(...items);
  }

  async function refreshUsers() {
    const data = await getUsers();
    const rows = data.users.map((u) => {
      const row = el(
        'tr',
        { 'data-user': u.id, title: 'Open the advanced view' },
        el(
          'td',
          {},
          el('strong', {}, u.name),
          el('br'),
          el('span', { class: 'muted' }, u.email || ''),
          u.side ? el('div', { class: 'muted', 'data-side': u.side.route }, u.side.name) : '',
        ),
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
    table('users').replaceChildren(...rows);
    $('skipped').textContent = data.skipped.length
      ? `Not integrated: ${data.skipped.map((s) => `${s.name} (${s.reason || 'not ticked'})`).join(', ')}`
      : '';
    if (selectedUser !== null) await openUser(selectedUser);
  }

  /** @param {string} id */
  async function openUser(id) {
    selectedUser = id;
    const u = await getUser(id);
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
      ['Mailbox on', u.side ? u.side.name : '—'],
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
    table('appointments').replaceChildren(
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
      table('appointments').append(
        el('tr', {}, el('td', { colSpan: 5, class: 'muted' }, 'No appointments in the window.')),
      );
    }
    table('transitions').replaceChildren(
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
      const page = await getLog(logCursor);
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

  /** @param {SettingsView} view */
  function renderSettings(view) {
    settingsView = view;
    const form = $('settings');
    const groups = CATALOG.groups.map((group) =>
      el(
        'fieldset',
        {},
        el('legend', {}, group.legend),
        ...group.fields.map((f) => field(f, view[f.name] ?? null)),
      ),
    );
    form.replaceChildren(
      ...groups,
      el('button', { type: 'submit' }, 'Save'),
      el('span', { class: 'message', id: 'settings-message' }),
    );
  }

  /**
   * @param {PageField} f
   * @param {SettingValue} value
   */
  function field(f, value) {
    const { name } = f;
    const title = el('span', { class: 'setting-label' }, f.label, ' ', el('code', {}, name));
    if (f.input === 'secret') {
      const set = typeof value === 'object' && value !== null && value.set;
      const secret = el('input', {
        type: 'password',
        name,
        placeholder: set ? (f.readOnly ? 'set' : 'set (type to replace)') : 'not set',
        autocomplete: 'new-password',
        disabled: f.readOnly,
      });
      const state = el('span', { class: 'secret-state', 'data-secret': name }, set ? 'set' : 'not set');
      return el('label', {}, title, el('span', {}, secret, ' ', state));
    }
    /** @type {HTMLElement} */
    let control;
    if (f.input === 'boolean') control = el('input', { type: 'checkbox', name, checked: value === true });
    else if (f.input === 'choice')
      control = el(
        'select',
        { name, disabled: f.readOnly },
        ...f.options.map((c) => el('option', { value: c, selected: c === value }, c)),
      );
    else if (f.input === 'integer')
      control = el('input', { type: 'number', name, value: String(value ?? '') });
    else control = el('input', { type: 'text', name, value: typeof value === 'string' ? value : '' });
    if (f.readOnly) Reflect.set(control, 'disabled', true);
    return el('label', {}, title, control);
  }

  /** @param {SubmitEvent} event */
  async function saveSettings(event) {
    event.preventDefault();
    /** @type {Record<string, SettingValue>} */
    const changes = {};
    for (const control of $('settings').querySelectorAll('input[name], select[name]')) {
      if (!(control instanceof HTMLInputElement || control instanceof HTMLSelectElement)) continue;
      const name = control.name;
      const before = settingsView[name];
      if (FIELDS.get(name)?.readOnly !== false) continue;
      if (control instanceof HTMLInputElement && control.type === 'password') {
        if (control.value !== '') changes[name] = control.value;
      } else if (control instanceof HTMLInputElement && control.type === 'checkbox') {
        if (control.checked !== before) changes[name] = control.checked;
      } else if (control instanceof HTMLInputElement && control.type === 'number') {
        if (Number(control.value) !== before) changes[name] = Number(control.value);
      } else if (control.value !== (before ?? '')) {
        changes[name] = control.value === '' ? null : control.value;
      }
    }
    const message = $('settings-message');
    if (Object.keys(changes).length === 0) {
      message.textContent = ' Nothing changed.';
      return;
    }
    try {
      renderSettings(await settings(changes));
      $('settings-message').textContent = ` Saved: ${Object.keys(changes).join(', ')}`;
      await refreshStatus();
    } catch (error) {
      if (error instanceof Unauthorized) throw error;
      message.textContent = ` Not saved: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  async function start() {
    byId('key-dialog', HTMLDialogElement).close();
    $('main').hidden = false;
    $('sign-out').hidden = false;
    await refreshStatus();
    renderSettings(await settings());
    await Promise.all([refreshUsers(), refreshHealth(), pollLog()]);
    /**
     * @param {number} ms
     * @param {() => Promise<void>} work
     */
    const every = (ms, work) => timers.push(setInterval(() => document.hidden || guarded(work), ms));
    every(LOG_POLL_MS, pollLog);
    every(STATUS_POLL_MS, refreshStatus);
    every(USERS_POLL_MS, refreshUsers);
    every(HEALTH_POLL_MS, refreshHealth);
  }

  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, input('key-input').value.trim());
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
  input('activate').addEventListener('change', (event) =>
    guarded(async () => {
      const checked = event.target instanceof HTMLInputElement && event.target.checked;
      renderSettings(await settings({ INTEGRATION_ENABLED: checked }));
      await refreshStatus();
      await pollLog();
    }),
  );
  $('advanced-close').addEventListener('click', () => {
    selectedUser = null;
    $('advanced').hidden = true;
  });
  byId('settings', HTMLFormElement).addEventListener('submit', (event) => guarded(() => saveSettings(event)));

  if (sessionStorage.getItem(KEY) === null) askForKey('');
  else guarded(start);
})();
