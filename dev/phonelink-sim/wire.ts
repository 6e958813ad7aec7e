import { z } from 'zod';

const isoZ = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'UTC ISO 8601 with Z, to the second');

/** SPEC §4 presence body, exactly: the simulator rejects anything else with 400. */
export const presenceWireBody = z.strictObject({
  availability: z.enum(['Available', 'Meeting', 'OutOfOffice']),
  greeting: z.enum(['standard', 'absence']),
  until: isoZ.nullable(),
  note: z.string().nullable(),
  absence: z.strictObject({ message: z.string().nullable(), returnsAt: isoZ.nullable() }).nullable(),
  source: z.enum(['calendar', 'override']),
  sequence: z.number().int().nonnegative(),
});
