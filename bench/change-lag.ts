// Appointments created, changed and deleted, each timed from the change in the mailbox to the
// push at PHONE-LiNK that shows it: Graph's notice, the webhook, the calendar-sync job on the
// changes queue, the re-read and the push, all as in a live system.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExchangeSimulator } from '../dev/exchange-sim/graph/exchange-simulator.ts';
import type { PhonelinkSimulator, PresenceWire } from '../dev/phonelink-sim/phonelink-simulator.ts';

const MINUTE = 60_000;
/** A change not shown by then counts as not shown (lagFigures' `notShown`). */
export const GIVE_UP_MS = 30_000;

/** Milliseconds from each change to its push, for every user and each of the three kinds of change. */
export async function changeLags(
  exchange: ExchangeSimulator,
  phonelink: PhonelinkSimulator,
  users: readonly { readonly id: string; readonly email: string }[],
): Promise<number[]> {
  const lags: number[] = [];
  const events = new Map<string, string>();
  const step = (
    change: (user: { id: string; email: string }) => void,
    shows: (body: PresenceWire) => boolean,
  ) =>
    Promise.all(
      users.map(async (user) => {
        lags.push(await timed(phonelink, user.id, () => change(user), shows));
      }),
    );
  await step(
    (user) => {
      const now = Date.now();
      const event = exchange.mailboxes.createEvent(user.email, {
        subject: `Lag ${user.id}`,
        start: now - MINUTE,
        end: now + 20 * MINUTE,
        showAs: 'busy',
      });
      events.set(user.id, event.id);
    },
    (body) => body.availability === 'Meeting' && body.note?.startsWith('Lag ') === true,
  );
  await step(
    (user) => exchange.mailboxes.updateEvent(user.email, events.get(user.id) ?? '', { showAs: 'oof' }),
    (body) => body.availability === 'OutOfOffice',
  );
  await step(
    (user) => exchange.mailboxes.deleteEvent(user.email, events.get(user.id) ?? ''),
    (body) => body.availability === 'Available',
  );
  return lags;
}

async function timed(
  phonelink: PhonelinkSimulator,
  userId: string,
  change: () => void,
  shows: (body: PresenceWire) => boolean,
): Promise<number> {
  const from = phonelink.pushes.length;
  const changedAt = Date.now();
  change();
  for (;;) {
    const push = phonelink.pushes.slice(from).find((p) => p.userId === userId && shows(p.body));
    if (push !== undefined) return push.at - changedAt;
    // Not shown in time: counted at the limit (lagFigures says how many), so the bench reports it.
    if (Date.now() - changedAt > GIVE_UP_MS) return GIVE_UP_MS;
    await sleep(5);
  }
}
