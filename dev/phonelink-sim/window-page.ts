/** The PC Client presence window: plain HTML and script, live over server-sent events. */
export const presenceWindowPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>PHONE-LiNK — presence window (simulator)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2733; background: #f5f7fa; }
  h1 { font-size: 1.2rem; margin: 0 0 .25rem; }
  .meta { color: #5b6775; margin-bottom: 1rem; }
  .meta .bad { color: #b3261e; font-weight: 600; }
  table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 3px #0002; }
  th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #e3e8ee; vertical-align: top; }
  th { background: #eef2f6; font-weight: 600; }
  .badge { display: inline-block; padding: .1rem .5rem; border-radius: 1rem; color: #fff; font-weight: 600; }
  .Available { background: #2e7d32; } .Meeting { background: #c77700; } .OutOfOffice { background: #7b1fa2; }
  .unknown { background: #8a94a0; }
  .muted { color: #8a94a0; }
  button { margin: 0 .15rem .15rem 0; cursor: pointer; }
  .err { color: #b3261e; }
</style>
</head>
<body>
<h1>PHONE-LiNK presence window</h1>
<div class="meta">Simulated server · <span id="clock"></span> · <span id="health"></span></div>
<table>
  <thead><tr><th>User</th><th>Availability</th><th>Note</th><th>Until</th><th>Greeting / absence</th><th>Set my availability</th></tr></thead>
  <tbody id="rows"><tr><td colspan="6" class="muted">connecting…</td></tr></tbody>
</table>
<script>
const rows = document.getElementById('rows');
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const local = (iso) => iso ? new Date(iso).toLocaleString() : '—';
function render(state) {
  document.getElementById('clock').textContent = new Date(state.now).toLocaleTimeString();
  const health = document.getElementById('health');
  health.textContent = state.down ? 'API down (simulated outage)' : state.fault ? 'API answering ' + state.fault : 'API up';
  health.className = state.down || state.fault ? 'bad' : '';
  rows.innerHTML = state.users.map((u) => {
    const p = u.presence;
    const m = u.manual;
    const avail = p ? p.availability : 'unknown';
    const manualLine = m ? '<div class="' + (m.error ? 'err' : 'muted') + '">you set ' + esc(m.availability ?? 'calendar') +
      (m.error ? ': ' + esc(m.error) : ' · calendar resumes ' + esc(local(m.until))) + '</div>' : '';
    const absence = p && p.absence ? '<div class="muted">' + esc(p.absence.message ?? '') + (p.absence.returnsAt ? ' · back ' + esc(local(p.absence.returnsAt)) : '') + '</div>' : '';
    const buttons = ['Available', 'Meeting', 'OutOfOffice'].map((a) =>
      '<button data-user="' + esc(u.id) + '" data-a="' + a + '">' + a + '</button>').join('') +
      '<button data-user="' + esc(u.id) + '" data-a="">Back to calendar</button>';
    return '<tr><td><b>' + esc(u.name) + '</b> <span class="muted">#' + esc(u.id) + '</span><div class="muted">' +
      esc(u.email ?? 'no email') + (u.calendarIntegration ? '' : ' · calendar integration off') + '</div></td>' +
      '<td><span class="badge ' + esc(avail) + '">' + esc(avail) + '</span>' +
      (p ? '<div class="muted">' + esc(p.source) + ' · seq ' + esc(p.sequence) + '</div>' : '') + manualLine + '</td>' +
      '<td>' + esc(p && p.note ? p.note : '—') + '</td><td>' + esc(local(p && p.until)) + '</td>' +
      '<td>' + esc(p ? p.greeting : '—') + absence + '</td><td>' + buttons + '</td></tr>';
  }).join('') || '<tr><td colspan="6" class="muted">no users</td></tr>';
}
rows.addEventListener('click', async (event) => {
  const button = event.target.closest('button');
  if (!button) return;
  const availability = button.dataset.a === '' ? null : button.dataset.a;
  button.disabled = true;
  try {
    await fetch('/ui/users/' + encodeURIComponent(button.dataset.user) + '/override', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ availability }),
    });
  } finally { button.disabled = false; }
});
const events = new EventSource('/events');
events.onmessage = (event) => render(JSON.parse(event.data));
</script>
</body>
</html>
`;
