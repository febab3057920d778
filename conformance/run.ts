/**
 * The programmatic entry point: runs the checks of the chosen profiles against a target, writes TAP
 * through `out`, and returns the report. The CLI (cli.ts) and the suite's own tests both use it.
 */
import type { IClientOptions } from 'mqtt';
import type { Check, SuiteProfile } from './core/check.ts';
import { loadExclusions, loadRequirements } from './core/requirements.ts';
import { buildReport, TapWriter, writeReports, type Report } from './core/report.ts';
import { runChecks, type CheckResult } from './core/runner.ts';
import { BROKER_CHECKS, HOST_CHECKS } from './checks/index.ts';
import { brokerFactory } from './broker/profile.ts';
import { hostFactory } from './host/profile.ts';
import { AGENT_CHECKS, CLIENT_CHECKS } from './checks/impl-index.ts';
import deviceHostChecks from './checks/device-host.ts';
import deviceImplChecks from './checks/device-impl.ts';
import { SuiteHost } from './harness/suite-host.ts';
import { IMPL_CHECK_TIMEOUT_MS, implFactory } from './impl/profile.ts';
import type { Principal } from './host/context.ts';

export interface ConformanceOptions {
  profiles: SuiteProfile[];
  /** Broker URL of the deployment under test (broker, host and device profiles). */
  broker?: string;
  users?: Principal[];
  spare?: Principal;
  hostId?: string;
  mqtt?: IClientOptions;
  /** Command line of the implementation under test (agent, client, device profiles). */
  spawn?: string;
  /** Check ids, requirement IDs, or prefixes ending in `*`. */
  only?: string[];
  concurrency?: number;
  timeoutMs?: number;
  reportDir?: string;
  /** Where TAP lines go (default: nowhere). */
  out?: (line: string) => void;
}

// biome-ignore lint/suspicious/noExplicitAny: each profile's checks take its own context; runConformance pairs them with that profile's factory
export const ALL_CHECKS: Record<SuiteProfile, Check<any>[]> = {
  host: HOST_CHECKS,
  broker: BROKER_CHECKS,
  agent: AGENT_CHECKS,
  client: CLIENT_CHECKS,
  device: [...deviceHostChecks, ...deviceImplChecks],
};

/** The reference device of the device profile: mosquitto_sub behind a small wrapper. */
export const REFERENCE_DEVICE = `/usr/bin/python3 ${new URL('./adapters/device/mosquitto_sub_device.py', import.meta.url).pathname}`;

/** Checks of a profile matching --only (check ids, requirement IDs, or prefixes ending in *). */
export function select<C>(checks: Check<C>[], only?: string[]): Check<C>[] {
  if (!only?.length) return checks;
  return checks.filter((c) =>
    only.some((o) =>
      o.endsWith('*')
        ? c.id.startsWith(o.slice(0, -1)) || c.covers.some((id) => id.startsWith(o.slice(0, -1)))
        : c.id === o || c.covers.includes(o),
    ),
  );
}

export async function runConformance(opts: ConformanceOptions): Promise<Report> {
  const startedAt = new Date();
  const requirements = loadRequirements();
  const exclusions = loadExclusions();
  const tap = new TapWriter(opts.out ?? (() => {}));
  const results: CheckResult[] = [];
  const target: Record<string, unknown> = {};
  tap.header(
    `tether conformance, profiles ${opts.profiles.join(', ')}${opts.broker ? ` against ${opts.broker}` : ''}${opts.spawn ? `, spawning ${JSON.stringify(opts.spawn)}` : ''}`,
  );
  for (const profile of opts.profiles) {
    const checks = select(ALL_CHECKS[profile], opts.only);
    if (checks.length === 0) continue;
    if (profile === 'host') {
      if (!opts.broker) throw new Error('the host profile needs --broker URL');
      const { factory, target: host } = await hostFactory({
        url: opts.broker,
        users: opts.users,
        spare: opts.spare,
        hostId: opts.hostId,
        mqtt: opts.mqtt,
        timeoutMs: opts.timeoutMs,
      });
      target.broker = opts.broker;
      if (host.hostState)
        target.host = {
          hostId: host.hostState.hostId,
          epoch: host.hostState.epoch,
          protocol: host.hostState.protocol,
          features: host.features,
          limits: host.limits,
        };
      results.push(
        ...(await runChecks(checks, factory, requirements, { concurrency: opts.concurrency ?? 6, onResult: (r) => tap.result(r) })),
      );
    } else if (profile === 'broker') {
      if (!opts.broker) throw new Error('the broker profile needs --broker URL');
      const { factory } = brokerFactory({
        url: opts.broker,
        users: opts.users,
        spare: opts.spare,
        mqtt: opts.mqtt,
        timeoutMs: opts.timeoutMs,
      });
      target.broker = opts.broker;
      results.push(
        ...(await runChecks(checks, factory, requirements, { concurrency: opts.concurrency ?? 6, onResult: (r) => tap.result(r) })),
      );
    } else if (profile === 'device') {
      const hostSide = checks.filter((c) => c.id.startsWith('device.host.'));
      const deviceSide = checks.filter((c) => c.id.startsWith('device.impl.'));
      let own: SuiteHost | undefined;
      try {
        if (hostSide.length) {
          if (!opts.broker) own = await SuiteHost.start();
          const url = opts.broker ?? own!.url;
          const { factory } = await hostFactory({
            url,
            users: opts.broker ? opts.users : [],
            hostId: opts.hostId,
            mqtt: opts.mqtt,
            timeoutMs: opts.timeoutMs,
          });
          target.device = { broker: opts.broker ?? "the suite's reference host", device: opts.spawn ?? 'mosquitto_sub (reference device)' };
          results.push(
            ...(await runChecks(hostSide, factory, requirements, { concurrency: opts.concurrency ?? 4, onResult: (r) => tap.result(r) })),
          );
        }
      } finally {
        await own?.close();
      }
      if (deviceSide.length) {
        const { factory, suite } = await implFactory('device', opts.spawn ?? REFERENCE_DEVICE);
        try {
          results.push(
            ...(await runChecks(deviceSide, factory, requirements, {
              concurrency: opts.concurrency ?? 4,
              defaultTimeoutMs: IMPL_CHECK_TIMEOUT_MS,
              onResult: (r) => tap.result(r),
            })),
          );
        } finally {
          await suite.close();
        }
      }
    } else if (profile === 'agent' || profile === 'client') {
      const { factory, suite } = await implFactory(profile, opts.spawn);
      target[profile] = { spawn: opts.spawn ?? null, suiteHost: suite.url };
      try {
        results.push(
          ...(await runChecks(checks, factory, requirements, {
            concurrency: opts.concurrency ?? 6,
            defaultTimeoutMs: IMPL_CHECK_TIMEOUT_MS,
            onResult: (r) => tap.result(r),
          })),
        );
      } finally {
        await suite.close();
      }
    }
  }
  tap.footer(results);
  const report = buildReport({
    profiles: opts.profiles,
    target,
    startedAt,
    results,
    requirements,
    exclusions,
    only: Boolean(opts.only?.length),
  });
  if (opts.reportDir) writeReports(opts.reportDir, report);
  return report;
}
