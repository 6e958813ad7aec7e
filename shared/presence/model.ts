/**
 * The presence domain (SPEC §3). Instants are UTC epoch milliseconds throughout the engine:
 * cheap to compare, and converted to ISO 8601 only at the edges.
 */
export type Instant = number;

export const AVAILABILITIES = ['Available', 'Meeting', 'OutOfOffice'] as const;
export type Availability = (typeof AVAILABILITIES)[number];

export type Greeting = 'standard' | 'absence';

export const SHOW_AS = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'] as const;
export type ShowAs = (typeof SHOW_AS)[number];

export const SENSITIVITIES = ['normal', 'personal', 'private', 'confidential'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

export interface Appointment {
  readonly id: string;
  readonly subject: string;
  /**
   * Timed appointments: UTC instants. All-day appointments: the floating local dates
   * (midnight, end exclusive) written as if they were UTC, e.g. Date.UTC(2026, 10, 24);
   * the engine places them in the mailbox time zone.
   */
  readonly start: Instant;
  readonly end: Instant;
  readonly isAllDay: boolean;
  readonly showAs: ShowAs;
  readonly isCancelled: boolean;
  /** The user declined the meeting. */
  readonly isDeclined: boolean;
  readonly sensitivity: Sensitivity;
}

/** The mailbox's automatic-replies setting; `internalReplyHtml` is the message as Exchange holds it. */
export type OutOfOffice =
  | { readonly status: 'disabled'; readonly internalReplyHtml: string | null }
  | { readonly status: 'enabled'; readonly internalReplyHtml: string | null }
  | {
      readonly status: 'scheduled';
      readonly start: Instant;
      readonly end: Instant;
      readonly internalReplyHtml: string | null;
    };

/** A user's own choice in the PHONE-LiNK client, set at `setAt`. */
export interface Override {
  readonly availability: Availability;
  readonly setAt: Instant;
}

export interface Policy {
  /** What a tentative appointment counts as (TENTATIVE_AS). */
  readonly tentativeAs: 'Meeting' | 'Available';
  /** SHARE_SUBJECTS: when false no note ever carries a subject. */
  readonly shareSubjects: boolean;
}

export interface PresenceInput {
  readonly appointments: readonly Appointment[];
  readonly outOfOffice: OutOfOffice;
  /** Windows ("W. Europe Standard Time") or IANA ("Europe/Berlin") name. */
  readonly mailboxTimeZone: string;
  readonly override: Override | null;
  readonly policy: Policy;
}

export interface Absence {
  readonly message: string | null;
  readonly returnsAt: Instant | null;
}

/** What decides the state: shown to administrators as "why". Never carries a private subject. */
export type Reason =
  | { readonly kind: 'outOfOffice'; readonly status: 'enabled' | 'scheduled' }
  | { readonly kind: 'appointment'; readonly appointmentId: string; readonly rule: 2 | 3 }
  | { readonly kind: 'override'; readonly setAt: Instant }
  | { readonly kind: 'free' };

export interface PresenceState {
  readonly availability: Availability;
  readonly greeting: Greeting;
  readonly note: string | null;
  readonly absence: Absence | null;
  /** The next instant at which the calendar changes this state, or null. */
  readonly until: Instant | null;
  readonly source: 'calendar' | 'override';
  readonly reason: Reason;
}

export interface Transition {
  readonly at: Instant;
  readonly state: PresenceState;
}
