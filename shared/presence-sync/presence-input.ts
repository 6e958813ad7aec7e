import type { PresenceRecord } from '../storage/stores.ts';

/** A user's presence record before the first push. */
export function freshPresenceRecord(userId: string): PresenceRecord {
  return {
    userId,
    lastPushed: null,
    lastPushedAt: null,
    sequence: 0,
    override: null,
    wakeAt: null,
    lastNotificationAt: null,
    etag: null,
  };
}
