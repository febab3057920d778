/** Prometheus metrics of the broker and host (served on /metrics). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    received: new Counter({ name: 'tether_host_messages_received_total', help: 'Messages received by the host', registers: [registry] }),
    accepted: new Counter({ name: 'tether_host_events_appended_total', help: 'Events durably appended', registers: [registry] }),
    duplicates: new Counter({
      name: 'tether_host_duplicate_commands_total',
      help: 'Commands answered from idempotency',
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'tether_host_rejected_total',
      help: 'Refused commands and requests',
      labelNames: ['code'],
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'tether_host_commit_seconds',
      help: 'Duration of a group commit',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    clients: new Gauge({ name: 'tether_broker_connected_clients', help: 'Connected MQTT clients', registers: [registry] }),
  };
}

export type HostMetrics = ReturnType<typeof createMetrics>;
