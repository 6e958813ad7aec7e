import { toIsoSeconds } from '../presence/instant.ts';
import type { Appointment, Policy } from '../presence/model.ts';
import { htmlToPlainText } from '../presence/plain-text.ts';
import type { CountedAppointment } from '../presence/prepare.ts';
import { countingRule } from '../presence/rules.ts';
import { floatingToInstant } from '../presence/time-zone.ts';
import { transitionsBetween } from '../presence/transitions.ts';
import type { AdminDeps } from './admin-deps.ts';
import { sideView } from './admin-sides.ts';
import { loadEffectiveSettings } from './effective-settings.ts';
import { iso, userPresence, userSummary } from './user-presence.ts';

/** SPEC §5 GET /api/users: the integrated users with their availability now and why; the skipped ones with why. */
export async function listUsers(services: AdminDeps) {
  const settings = await loadEffectiveSettings(
    services.settings,
    services.runtimeSettings,
    services.secretVault,
  );
  const now = services.now();
  const [users, presences, subscriptions, routes] = await Promise.all([
    services.users.list(),
    services.presence.list(),
    services.subscriptions.list(),
    services.mailboxRoutes.list(),
  ]);
  const routeOf = new Map(routes.map((r) => [r.userId, r]));
  const presenceOf = new Map(presences.map((p) => [p.userId, p]));
  const subscriptionOf = new Map(subscriptions.map((s) => [s.userId, s]));
  const integrated = users.filter((u) => u.integrated);
  const calendars = await Promise.all(integrated.map((u) => services.calendars.get(u.id)));
  return {
    now: toIsoSeconds(now),
    users: integrated.map((user, i) => ({
      ...userSummary(
        user,
        calendars[i] ?? null,
        presenceOf.get(user.id) ?? null,
        subscriptionOf.get(user.id) ?? null,
        settings.policy,
        now,
      ),
      side: sideView(routeOf.get(user.id)),
    })),
    skipped: users
      .filter((u) => !u.integrated)
      .map((u) => ({ id: u.id, name: u.name, email: u.email, reason: u.skipReason })),
  };
}

/**
 * SPEC §5 GET /api/users/{id}/appointments (the "advanced tab"): the known appointments of the
 * window (private subjects hidden), the state now, why, and the upcoming transitions. Null for
 * a user the service does not know.
 */
export async function userAppointments(services: AdminDeps, userId: string) {
  const user = await services.users.get(userId);
  if (user === null) return null;
  const settings = await loadEffectiveSettings(
    services.settings,
    services.runtimeSettings,
    services.secretVault,
  );
  const now = services.now();
  const [calendar, presence, subscription, route] = await Promise.all([
    services.calendars.get(userId),
    services.presence.get(userId),
    services.subscriptions.getByUser(userId),
    services.mailboxRoutes.get(userId),
  ]);
  const summary = userSummary(user, calendar, presence, subscription, settings.policy, now);
  const { prepared } = userPresence(calendar, presence, settings.policy, now);
  const windowEnd = calendar?.window?.end ?? now + settings.scanWindowDays * 86_400_000;
  const transitions = prepared === null ? [] : transitionsBetween(prepared, now, windowEnd);
  const placed = new Map<string, CountedAppointment>((prepared?.appointments ?? []).map((a) => [a.id, a]));
  const zone = prepared?.timeZone ?? 'UTC';
  const oof = calendar?.outOfOffice ?? null;
  return {
    ...summary,
    side: sideView(route),
    skipReason: user.skipReason,
    window:
      calendar?.window == null
        ? null
        : { start: toIsoSeconds(calendar.window.start), end: toIsoSeconds(calendar.window.end) },
    timeZone: calendar?.timeZone ?? null,
    outOfOffice:
      oof === null
        ? null
        : {
            status: oof.status,
            start: oof.status === 'scheduled' ? toIsoSeconds(oof.start) : null,
            end: oof.status === 'scheduled' ? toIsoSeconds(oof.end) : null,
            message: oof.internalReplyHtml === null ? null : htmlToPlainText(oof.internalReplyHtml),
          },
    appointments: [...(calendar?.appointments ?? [])]
      .map((a) => appointmentView(a, placed.get(a.id) ?? null, zone, settings.policy, now))
      .sort((a, b) => a.start.localeCompare(b.start)),
    transitions: transitions.map((t) => ({
      at: toIsoSeconds(t.at),
      availability: t.state.availability,
      greeting: t.state.greeting,
      note: t.state.note,
      source: t.state.source,
      until: iso(t.state.until),
    })),
  };
}

function appointmentView(
  appointment: Appointment,
  placed: CountedAppointment | null,
  zone: string,
  policy: Policy,
  now: number,
) {
  const start =
    placed?.start ?? (appointment.isAllDay ? floatingToInstant(appointment.start, zone) : appointment.start);
  const end =
    placed?.end ?? (appointment.isAllDay ? floatingToInstant(appointment.end, zone) : appointment.end);
  const hidden = appointment.sensitivity !== 'normal' || !policy.shareSubjects;
  const rule = countingRule(appointment, policy);
  return {
    id: appointment.id,
    // Never the subject of a private, personal or confidential appointment (SPEC §3).
    subject: hidden ? null : appointment.subject,
    subjectHidden: hidden,
    start: toIsoSeconds(start),
    end: toIsoSeconds(end),
    isAllDay: appointment.isAllDay,
    showAs: appointment.showAs,
    sensitivity: appointment.sensitivity,
    isCancelled: appointment.isCancelled,
    isDeclined: appointment.isDeclined,
    counts: rule !== null,
    countsAs: rule === 2 ? 'OutOfOffice' : rule === 3 ? 'Meeting' : null,
    now: start <= now && now < end,
  };
}
