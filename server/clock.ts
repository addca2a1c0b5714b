/** The time source services use, so tests can hand in a fixed or stepping clock instead of sleeping. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
