/**
 * Summarises a V8 CPU profile (node --cpu-prof): self and inclusive share of samples per
 * function, and self share per module (package or project file).
 *   npx tsx bench/profile-summary.ts FILE.cpuprofile [--top 30] [--filter host.ts] [--by total]
 *   npx tsx bench/profile-summary.ts FILE.cpuprofile --callers writev [--depth 4]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  name: string;
  self: number;
  total: number;
}

/** Who calls the functions whose name contains `name`: share of samples per caller chain (depth frames). */
export function callersOf(profile: CpuProfile, name: string, depth = 4): { chain: string; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${moduleOf(n.callFrame.url)}`;
  const chains = new Map<string, number>();
  for (const id of profile.samples) {
    const node = byId.get(id)!;
    if (!node.callFrame.functionName.includes(name)) continue;
    const chain: string[] = [];
    for (let cur = parent.get(id); cur !== undefined && chain.length < depth; cur = parent.get(cur)) chain.push(label(byId.get(cur)!));
    const k = chain.join(' < ');
    chains.set(k, (chains.get(k) ?? 0) + 1);
  }
  const total = profile.samples.length || 1;
  return [...chains.entries()].map(([chain, c]) => ({ chain, share: c / total })).sort((a, b) => b.share - a.share);
}

export interface ProfileSummary {
  seconds: number;
  samples: number;
  /** Share of samples (0..1) where the process was idle or collecting garbage. */
  idle: number;
  gc: number;
  functions: ProfileLine[];
  modules: { module: string; self: number }[];
}

function moduleOf(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  const m = /\/(broker|clients|bench|protocol|schemas|conformance)\/(.*)$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url.replace(/^file:\/\//, '');
}

export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: ProfileNode) => {
    const f = n.callFrame;
    return `${f.functionName || '(anonymous)'} ${moduleOf(f.url)}:${f.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const modules = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  for (const id of profile.samples) {
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') idle++;
    if (name === '(garbage collector)') gc++;
    const k = key(node);
    self.set(k, (self.get(k) ?? 0) + 1);
    const mod = moduleOf(node.callFrame.url);
    modules.set(mod, (modules.get(mod) ?? 0) + 1);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = key(byId.get(cur)!);
      if (seen.has(kk)) continue;
      seen.add(kk);
      total.set(kk, (total.get(kk) ?? 0) + 1);
    }
  }
  const n = profile.samples.length || 1;
  const functions = [...total.entries()]
    .map(([name, t]) => ({ name, self: (self.get(name) ?? 0) / n, total: t / n }))
    .sort((a, b) => b.self - a.self);
  return {
    seconds: (profile.endTime - profile.startTime) / 1e6,
    samples: profile.samples.length,
    idle: idle / n,
    gc: gc / n,
    functions,
    modules: [...modules.entries()].map(([module, s]) => ({ module, self: s / n })).sort((a, b) => b.self - a.self),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) throw new Error('usage: profile-summary FILE.cpuprofile [--top N] [--filter TEXT] [--by total] [--callers NAME --depth N]');
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const top = Number(opt('top') ?? 30);
  const filter = opt('filter');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const callers = opt('callers');
  if (callers) {
    for (const c of callersOf(profile, callers, Number(opt('depth') ?? 4)).slice(0, top)) console.log(`${pct(c.share)}  ${c.chain}`);
    return;
  }
  const s = summarizeProfile(profile);
  console.log(`${file}: ${s.seconds.toFixed(1)} s, ${s.samples} samples, idle ${pct(s.idle)}, GC ${pct(s.gc)}`);
  console.log('\nself by module:');
  for (const m of s.modules.slice(0, 15)) console.log(`  ${pct(m.self)}  ${m.module}`);
  const fns = (filter ? s.functions.filter((f) => f.name.includes(filter)) : s.functions).slice();
  if (opt('by') === 'total') fns.sort((a, b) => b.total - a.total);
  console.log(`\n  self   total  function${filter ? ` (matching ${filter})` : ''}`);
  for (const f of fns.slice(0, top)) console.log(`${pct(f.self)} ${pct(f.total)}  ${f.name}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
