import type { Appointment, Policy } from './model.ts';

/** The rule of SPEC §3 under which an appointment counts (2: oof, 3: busy/tentative), or null. */
export function countingRule(appointment: Appointment, policy: Policy): 2 | 3 | null {
  if (appointment.isCancelled || appointment.isDeclined) return null;
  switch (appointment.showAs) {
    case 'oof':
      return 2;
    case 'busy':
      return 3;
    case 'tentative':
      return policy.tentativeAs === 'Meeting' ? 3 : null;
    default:
      // free, workingElsewhere, unknown
      return null;
  }
}

/** The note an appointment may show: never the subject of a private/personal/confidential one. */
export function noteOf(appointment: Appointment, policy: Policy): string | null {
  if (!policy.shareSubjects || appointment.sensitivity !== 'normal') return null;
  const subject = appointment.subject.trim();
  return subject === '' ? null : subject;
}
