/**
 * Slack date tokens (`<!date^1700000000^{date_short_pretty} at {time}^https://link|fallback>`) in
 * the reader's own time zone, as Slack shows them. Pure: the time zone and "now" may be passed in
 * (tests); the browser leaves them out and gets its local zone.
 *
 * Words are English, as the bot's messages are; times are 12-hour like Slack's default.
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const TOKEN = /\{(date_num|date_short_pretty|date_long_pretty|date_pretty|date_short|date_long|date|time_secs|time|ago)\}/g;

function ordinal(n) {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${{ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th'}`;
}

/** Calendar and clock fields of `date` in `timeZone` (undefined: the runtime's local zone). */
function fields(date, timeZone) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone, year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'long', hour: 'numeric', minute: '2-digit', second: '2-digit', hour12: true,
  });
  const p = Object.fromEntries(format.formatToParts(date).map((x) => [x.type, x.value]));
  return {
    year: Number(p.year), month: Number(p.month), day: Number(p.day), weekday: p.weekday,
    hour: p.hour, minute: p.minute, second: p.second, period: p.dayPeriod,
  };
}

/** Whole days from `a`'s calendar day to `b`'s (both already in the reader's zone). */
function dayDiff(a, b) {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
}

function ago(seconds, nowMs) {
  const diff = Math.round(nowMs / 1000 - seconds);
  const abs = Math.abs(diff);
  const [n, unit] = abs < 60 ? [0, ''] : abs < 3600 ? [Math.floor(abs / 60), 'minute'] : abs < 86_400 ? [Math.floor(abs / 3600), 'hour'] : [Math.floor(abs / 86_400), 'day'];
  if (n === 0) return 'just now';
  const words = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return diff >= 0 ? `${words} ago` : `in ${words}`;
}

/**
 * `format` with its `{…}` tokens filled in for `seconds` (Unix time), or null when `seconds`
 * is not a time. Unknown tokens stay as written, as Slack leaves them.
 */
export function formatSlackDate(seconds, format, opts = {}) {
  const date = new Date(Number(seconds) * 1000);
  if (!Number.isFinite(Number(seconds)) || Number.isNaN(date.getTime())) return null;
  const nowMs = opts.now ?? Date.now();
  const f = fields(date, opts.timeZone);
  const today = fields(new Date(nowMs), opts.timeZone);
  const month = MONTHS[f.month - 1];
  const plain = {
    date_num: `${f.year}-${String(f.month).padStart(2, '0')}-${String(f.day).padStart(2, '0')}`,
    date: `${month} ${ordinal(f.day)}, ${f.year}`,
    date_short: `${month.slice(0, 3)} ${f.day}, ${f.year}`,
    date_long: `${f.weekday}, ${month} ${ordinal(f.day)}, ${f.year}`,
  };
  const relative = { 0: 'today', [-1]: 'yesterday', 1: 'tomorrow' }[dayDiff(today, f)];
  const values = {
    ...plain,
    date_pretty: relative ?? plain.date,
    date_short_pretty: relative ?? plain.date_short,
    date_long_pretty: relative ?? plain.date_long,
    time: `${f.hour}:${f.minute} ${f.period}`,
    time_secs: `${f.hour}:${f.minute}:${f.second} ${f.period}`,
    ago: ago(Number(seconds), nowMs),
  };
  return String(format).replace(TOKEN, (_all, name) => values[name]);
}

/** The full local date and time with its zone, for a tooltip: "Tuesday, November 14th, 2023 10:13:20 PM GMT". */
export function fullLocalTime(seconds, opts = {}) {
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return '';
  const zone = new Intl.DateTimeFormat('en-US', { timeZone: opts.timeZone, timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${formatSlackDate(seconds, '{date_long} {time_secs}', { ...opts, now: 0 })} ${zone}`.trim();
}

/**
 * Parses the inside of a date token after `!`: `date^<seconds>^<format>[^<link>]`. Returns
 * `{ seconds, format, link }` or null when it is not a date token.
 */
export function parseDateCommand(command) {
  if (typeof command !== 'string' || !command.startsWith('date^')) return null;
  const [, seconds = '', format = '', ...rest] = command.split('^');
  if (!/^-?\d+$/.test(seconds)) return null;
  return { seconds: Number(seconds), format, link: rest.length ? rest.join('^') : null };
}
