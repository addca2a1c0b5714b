/**
 * How reporter clocks are trusted. A reporter's `at` within ±5 minutes of the server's receive
 * time cannot be told apart from clock drift, so the sample counts as measured when it was
 * received; an `at` further in the past is believed (a late delivery, measured then); one further
 * in the future is refused. docs/rollouts.md ("Time") states the same.
 */
export const AT_TOLERANCE_MS = 5 * 60_000;

/** The time a sample counts as measured at, on the server's clock. */
export function measuredAt(at: Date | undefined, received: Date): Date {
  if (!at) return received;
  return received.getTime() - at.getTime() > AT_TOLERANCE_MS ? at : received;
}

/** True when an `at` is further ahead of the receive time than the tolerance. */
export function tooFarAhead(at: Date, received: Date): boolean {
  return at.getTime() > received.getTime() + AT_TOLERANCE_MS;
}
