/** Slack message timestamps ("1700000000.000100"): ordering, display, and what is top level. */

function tsParts(ts) {
  const [s = '0', f = ''] = String(ts).split('.');
  return [Number(s), f.padEnd(6, '0')];
}

export function compareTs(a, b) {
  const [as, af] = tsParts(a);
  const [bs, bf] = tsParts(b);
  return as !== bs ? as - bs : af < bf ? -1 : af > bf ? 1 : 0;
}

/**
 * The message time in the browser's local zone, as Slack writes it beside the author ("3:21 AM",
 * the same style as date tokens), and in full with seconds and zone for the tooltip.
 */
export function formatTime(ts) {
  const date = new Date(tsParts(ts)[0] * 1000);
  if (Number.isNaN(date.getTime())) return { short: '', long: '' };
  return { short: date.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' }), long: date.toLocaleString('en-US', { dateStyle: 'full', timeStyle: 'long' }) };
}

/** In the channel list: not a reply, or a reply also sent to the channel. */
export function isTopLevel(m) {
  return !m.thread_ts || m.thread_ts === m.ts || m.subtype === 'thread_broadcast';
}
