// The presence engine's cost for one user with 1,000 appointments in a 7-day window (SPEC §3,
// issue targets: an instant ≤ 50 µs, a week's transitions ≤ 1 ms, median). Exits 1 on a miss.
import { stateAt } from '../shared/presence/evaluate.ts';
import type { Appointment, PresenceInput, ShowAs } from '../shared/presence/model.ts';
import { prepareCalendar } from '../shared/presence/prepare.ts';
import { transitionsBetween } from '../shared/presence/transitions.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const WEEK_START = Date.UTC(2026, 9, 22); // the week holds the European autumn DST change (10-25)
const WEEK_END = WEEK_START + 7 * DAY;

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same user. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function userWithAppointments(count: number): PresenceInput {
  const next = random(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const showAs: readonly ShowAs[] = [
    'busy',
    'busy',
    'busy',
    'tentative',
    'oof',
    'free',
    'workingElsewhere',
    'unknown',
  ];
  const appointments: Appointment[] = [];
  for (let i = 0; i < count; i++) {
    const allDay = i % 50 === 0; // 20 all-day appointments, placed in the mailbox zone
    const day = Math.floor(next() * 7);
    const start = allDay
      ? WEEK_START + day * DAY
      : WEEK_START + Math.floor((next() * 7 * DAY) / (5 * MINUTE)) * 5 * MINUTE; // 5-minute grid: overlaps and shared boundaries
    appointments.push({
      id: `bench-${i}`,
      subject: `Subject ${i % 37}`,
      start,
      end: allDay ? start + DAY : start + (1 + Math.floor(next() * 24)) * 5 * MINUTE,
      isAllDay: allDay,
      showAs: pick(showAs),
      isCancelled: next() < 0.05,
      isDeclined: next() < 0.05,
      sensitivity: pick(['normal', 'normal', 'normal', 'private'] as const),
    });
  }
  return {
    appointments,
    outOfOffice: {
      status: 'scheduled',
      start: WEEK_START + 5 * DAY,
      end: WEEK_START + 5 * DAY + 8 * 3600_000,
      internalReplyHtml:
        '<html><body><p>I am <b>out</b> today.</p><p>Urgent: <a href="mailto:bob@contoso.com">Bob</a></p></body></html>',
    },
    mailboxTimeZone: 'W. Europe Standard Time',
    override: null,
    policy: { tentativeAs: 'Meeting', shareSubjects: true },
  };
}

interface Figures {
  readonly median: number;
  readonly p95: number;
}

/** Nanoseconds per operation: `samples` timings of `batch` calls each, after `warmUp` calls. */
function measure(samples: number, batch: number, warmUp: number, operation: (i: number) => unknown): Figures {
  let sink = 0;
  for (let i = 0; i < warmUp; i++) sink += operation(i) === undefined ? 0 : 1;
  const perCall: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    for (let b = 0; b < batch; b++) sink += operation(s * batch + b) === undefined ? 0 : 1;
    perCall.push(Number(process.hrtime.bigint() - start) / batch);
  }
  if (sink < 0) console.log(sink); // keeps the results observable
  perCall.sort((x, y) => x - y);
  return {
    median: perCall[Math.floor(perCall.length / 2)] ?? Number.NaN,
    p95: perCall[Math.floor(perCall.length * 0.95)] ?? Number.NaN,
  };
}

const micro = (ns: number): string => `${(ns / 1000).toFixed(2).padStart(9)} µs`;

const input = userWithAppointments(1000);
const calendar = prepareCalendar(input);
const overridden = prepareCalendar({
  ...input,
  override: { availability: 'Available', setAt: WEEK_START + 3.5 * DAY },
});
const transitionsInWeek = transitionsBetween(calendar, WEEK_START, WEEK_END).length;

const instants = new Float64Array(65_536);
const next = random(7);
for (let i = 0; i < instants.length; i++) instants[i] = WEEK_START + Math.floor(next() * 7 * DAY);
const mask = instants.length - 1;

const rows: { label: string; figures: Figures; targetNs: number | null }[] = [
  {
    label: 'stateAt, random instant in the week',
    figures: measure(2000, 100, 100_000, (i) => stateAt(calendar, instants[i & mask] ?? WEEK_START)),
    targetNs: 50_000,
  },
  {
    label: 'stateAt, same, with an override set mid-week',
    figures: measure(2000, 100, 100_000, (i) => stateAt(overridden, instants[i & mask] ?? WEEK_START)),
    targetNs: 50_000,
  },
  {
    label: "transitionsBetween, the week's transitions",
    figures: measure(2000, 1, 500, () => transitionsBetween(calendar, WEEK_START, WEEK_END)),
    targetNs: 1_000_000,
  },
  {
    label: 'prepareCalendar, once per user and change',
    figures: measure(200, 1, 30, () => prepareCalendar(input)),
    targetNs: null,
  },
];

console.log(
  `presence engine: 1 user, ${input.appointments.length} appointments in 7 days (${calendar.timeZone}, all-day, overlaps, mixed showAs), ` +
    `${calendar.appointments.length} counting, ${transitionsInWeek} transitions in the week`,
);
let missed = false;
for (const { label, figures, targetNs } of rows) {
  const ok = targetNs === null || figures.median <= targetNs;
  missed ||= !ok;
  const target =
    targetNs === null ? '(no target)' : `target median ≤ ${micro(targetNs).trim()}  ${ok ? 'OK' : 'MISSED'}`;
  console.log(
    `  ${label.padEnd(46)} median ${micro(figures.median)}   p95 ${micro(figures.p95)}   ${target}`,
  );
}
if (missed) process.exitCode = 1;
