/** MQTT 3.1.1 topic filter matching (MQTT 4.7), so that checks name what they wait for by filter. */

/** Does the filter (with `+` and `#` wildcards) match the topic? */
export function matchesFilter(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i < f.length - 1 ? false : !(i === 0 && topic.startsWith('$'));
    if (i >= t.length) return false;
    if (f[i] === '+') {
      if (i === 0 && topic.startsWith('$')) return false;
      continue;
    }
    if (f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
