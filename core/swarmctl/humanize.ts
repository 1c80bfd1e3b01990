// The two go-humanize functions swarmctl prints with: humanize.Time ("5 seconds ago") and
// humanize.IBytes ("512 MiB"), with their thresholds and rounding, so output reads as SwarmKit's.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;
const YEAR = 12 * MONTH;
const LONG_TIME = 37 * YEAR;

/** [below this many ms, format, divisor]: the first row whose bound exceeds the difference wins. */
const MAGNITUDES: [number, string, number][] = [
  [SECOND, 'now', SECOND],
  [2 * SECOND, '1 second %s', 1],
  [MINUTE, '%d seconds %s', SECOND],
  [2 * MINUTE, '1 minute %s', 1],
  [HOUR, '%d minutes %s', MINUTE],
  [2 * HOUR, '1 hour %s', 1],
  [DAY, '%d hours %s', HOUR],
  [2 * DAY, '1 day %s', 1],
  [WEEK, '%d days %s', DAY],
  [2 * WEEK, '1 week %s', 1],
  [MONTH, '%d weeks %s', WEEK],
  [2 * MONTH, '1 month %s', 1],
  [YEAR, '%d months %s', MONTH],
  [18 * MONTH, '1 year %s', 1],
  [2 * YEAR, '2 years %s', 1],
  [LONG_TIME, '%d years %s', YEAR],
  [Number.POSITIVE_INFINITY, 'a long while %s', 1],
];

export function timeAgo(then: Date, now: Date): string {
  let diff = now.getTime() - then.getTime();
  let label = 'ago';
  if (diff < 0) {
    diff = -diff;
    label = 'from now';
  }
  const [, format, divBy] = MAGNITUDES.find(([bound]) => bound > diff)!;
  return format.replace('%d', String(Math.floor(diff / divBy))).replace('%s', label);
}

/** A Docker timestamp ("2024-05-01T12:00:00.123456789Z") as `timeAgo` text; '' when absent or unreadable. */
export function timestampAgo(ts: string | undefined, now: Date): string {
  if (!ts) return '';
  const t = new Date(ts);
  return Number.isNaN(t.getTime()) ? '' : timeAgo(t, now);
}

const IEC_SIZES = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

export function iBytes(n: number): string {
  if (n < 10) return `${n} B`;
  const e = Math.floor(Math.log(n) / Math.log(1024));
  const val = Math.floor((n / 1024 ** e) * 10 + 0.5) / 10;
  return `${val < 10 ? val.toFixed(1) : val.toFixed(0)} ${IEC_SIZES[e]}`;
}
