import type { Instant, OutOfOffice, PresenceInput } from './model.ts';
import { overrideState, presenceRelevantStarts } from './override.ts';
import { htmlToPlainText } from './plain-text.ts';
import type { OverrideWindow, PreparedCalendar } from './prepared-calendar.ts';
import { countingRule, noteOf } from './rules.ts';
import { firstAfter } from './search.ts';
import { floatingToInstant, toIanaZone } from './time-zone.ts';
import { buildTimeline, byStart, type CountedAppointment, type RuleOne } from './timeline.ts';

export type { OverrideWindow, PreparedCalendar } from './prepared-calendar.ts';
export type { CountedAppointment } from './timeline.ts';

export function prepareCalendar(input: PresenceInput): PreparedCalendar {
  const iana = toIanaZone(input.mailboxTimeZone);
  const timeZone = iana ?? 'UTC';
  const appointments = countedAppointments(input, timeZone);
  const ruleOne = ruleOneOf(input.outOfOffice);
  const outOfOfficeMessage = plainMessage(input.outOfOffice.internalReplyHtml);
  const overrideEnds = presenceRelevantStarts(appointments, ruleOne);

  let overrideWindow: OverrideWindow | null = null;
  if (input.override !== null) {
    const end = firstAfter(overrideEnds, input.override.setAt);
    overrideWindow = {
      start: input.override.setAt,
      end,
      state: overrideState(input.override, end, outOfOfficeMessage),
    };
  }

  return {
    timeZone,
    timeZoneResolved: iana !== null,
    override: input.override,
    policy: input.policy,
    appointments,
    outOfOfficeMessage,
    ruleOne,
    overrideEnds,
    overrideWindow,
    timeline: buildTimeline(appointments, ruleOne, outOfOfficeMessage),
  };
}

function countedAppointments(input: PresenceInput, zone: string): CountedAppointment[] {
  // Many all-day appointments share their dates: place each date once.
  const placed = new Map<Instant, Instant>();
  const place = (floating: Instant): Instant => {
    let instant = placed.get(floating);
    if (instant === undefined) {
      instant = floatingToInstant(floating, zone);
      placed.set(floating, instant);
    }
    return instant;
  };

  const counted: CountedAppointment[] = [];
  for (const a of input.appointments) {
    const rule = countingRule(a, input.policy);
    if (rule === null) continue;
    const start = a.isAllDay ? place(a.start) : a.start;
    const end = a.isAllDay ? place(a.end) : a.end;
    // An empty interval covers no instant, so it never counts.
    if (!(end > start)) continue;
    counted.push({ id: a.id, start, end, isAllDay: a.isAllDay, rule, note: noteOf(a, input.policy) });
  }
  return counted.sort(byStart);
}

function ruleOneOf(oof: OutOfOffice): RuleOne {
  if (oof.status === 'enabled') return { kind: 'enabled' };
  if (oof.status === 'scheduled' && oof.end > oof.start) {
    return { kind: 'scheduled', start: oof.start, end: oof.end };
  }
  return { kind: 'none' };
}

function plainMessage(html: string | null): string | null {
  if (html === null) return null;
  const text = htmlToPlainText(html);
  return text === '' ? null : text;
}
