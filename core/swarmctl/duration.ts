// Go durations, because swarmctl's flags take them ("1s", "500ms", "1h30m") and its summaries print
// them as Go does ("2160h0m0s"). The Engine API carries them as integer nanoseconds.

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** time.ParseDuration, to nanoseconds; throws Go's message for malformed input. */
export function parseDuration(input: string): number {
  const bad = () => new Error(`time: invalid duration ${JSON.stringify(input)}`);
  let s = input;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw bad();
  let total = 0;
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)?/;
  while (s !== '') {
    const m = part.exec(s);
    if (!m) throw bad();
    if (!m[2]) throw new Error(`time: missing unit in duration ${JSON.stringify(input)}`);
    total += Number(m[1]) * UNITS[m[2]]!;
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/** time.Duration.String: "1h2m3.5s", "500ms", "0s". */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = Math.abs(Math.round(ns));
  let out: string;
  if (u < 1e9) {
    // Below a second Go picks one unit and prints a fraction of it.
    const [div, unit] = u < 1e3 ? [1, 'ns'] : u < 1e6 ? [1e3, 'µs'] : [1e6, 'ms'];
    out = fraction(u, div) + unit;
  } else {
    const secs = fraction(u % 60e9, 1e9) + 's';
    u = Math.floor(u / 60e9);
    if (u === 0) out = secs;
    else {
      const mins = `${u % 60}m`;
      const hours = Math.floor(u / 60);
      out = hours > 0 ? `${hours}h${mins}${secs}` : `${mins}${secs}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** n/div with the trailing zeros of the fraction dropped, as Go's fmtFrac. */
function fraction(n: number, div: number): string {
  const whole = Math.floor(n / div);
  const rest = n % div;
  if (rest === 0) return String(whole);
  const digits = String(div).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}
