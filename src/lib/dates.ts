// order_date accepts an ISO-8601 date-time with a time zone (Z or ±hh:mm) or a plain date (midnight UTC).
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2}))?$/i;

/** Epoch milliseconds of a valid ISO-8601 date or date-time, or undefined. */
export function parseIsoDate(value: string): number | undefined {
  const m = ISO_8601.exec(value);
  if (!m) return undefined;
  const [, year, month, day, hour = "00", minute = "00", second = "00", fraction = "", zone] = m;
  if (m[4] !== undefined && zone === undefined) return undefined;
  const calendarDay = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const realDay =
    calendarDay.getUTCFullYear() === Number(year) &&
    calendarDay.getUTCMonth() === Number(month) - 1 &&
    calendarDay.getUTCDate() === Number(day);
  if (!realDay || Number(year) < 1 || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  const ms = Date.parse(
    `${year}-${month}-${day}T${hour}:${minute}:${second}.${fraction.padEnd(3, "0").slice(0, 3)}${normalizeZone(zone)}`,
  );
  return Number.isNaN(ms) ? undefined : ms;
}

function normalizeZone(zone: string | undefined): string {
  if (!zone || zone.toUpperCase() === "Z") return "Z";
  return zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
}
