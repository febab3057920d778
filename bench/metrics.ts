/** Reads the host's Prometheus counters (/metrics of the embedded reference) around a workload. */

export interface HostCounters {
  appended: number;
  commits: number;
  commitSeconds: number;
}

function value(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export async function hostCounters(httpUrl: string): Promise<HostCounters> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  return {
    appended: value(text, 'tether_host_events_appended_total'),
    commits: value(text, 'tether_host_commit_seconds_count'),
    commitSeconds: value(text, 'tether_host_commit_seconds_sum'),
  };
}

/** Events per group commit and mean commit time between two readings. */
export function commitFigures(a: HostCounters, b: HostCounters): { eventsPerCommit: number; commitMsMean: number } {
  const commits = b.commits - a.commits;
  return {
    eventsPerCommit: commits > 0 ? Math.round(((b.appended - a.appended) / commits) * 10) / 10 : 0,
    commitMsMean: commits > 0 ? Math.round(((b.commitSeconds - a.commitSeconds) / commits) * 1e6) / 1e3 : 0,
  };
}
