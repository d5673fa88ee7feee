/** Timestamps are stored as epoch milliseconds and shown as ISO-8601 UTC with milliseconds. */
export const iso = (epochMs: number) => new Date(epochMs).toISOString();
