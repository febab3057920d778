/**
 * The host's retained state on tether/v1/host/{hostId}/state: the birth (online) once it is ready
 * [HOST-LIVE-1], offline at a clean stop [HOST-LIVE-3] or as the Will of its MQTT connection, and a
 * new epoch for every start and connection so that a stale state is recognisable [LIVE-EPOCH-1].
 */
import type { Logger } from 'pino';
import { PROTOCOL_VERSION } from '../../protocol/constants.ts';
import { topics } from '../../protocol/topics.ts';
import type { HostState, Limits } from '../../schemas/src/index.ts';
import { parseObject } from '../gate/json.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { HOST_FEATURES } from '../limits.ts';
import type { Outbox } from '../publish/outbox.ts';
import type { Store } from '../store/store.ts';

export interface LivenessOptions {
  hostId: string;
  limits: Limits;
  /** In the broker's process, without an MQTT connection (and so without a Will). */
  embedded: boolean;
  store: Store;
  outbox: Outbox;
  lifecycle: Lifecycle;
  log: Logger;
  /** The birth and every retained snapshot (see announcement.ts). */
  announce: () => Promise<void>;
}

export class Liveness {
  epoch = 0;
  readonly topic: string;

  constructor(private readonly opts: LivenessOptions) {
    this.topic = topics.hostState(opts.hostId);
  }

  /** A new epoch for this start. */
  async begin(): Promise<void> {
    this.epoch = await this.opts.store.nextEpoch(this.opts.hostId);
  }

  stateJson(status: 'online' | 'offline'): string {
    const state: HostState = {
      v: 1,
      hostId: this.opts.hostId,
      status,
      epoch: this.epoch,
      protocol: PROTOCOL_VERSION,
      software: 'tether-reference/0.1.0',
      features: HOST_FEATURES,
      limits: this.opts.limits,
      // A host without a connection of its own says so [HOST-EMBED-1].
      ...(this.opts.embedded ? { embedded: true } : {}),
      time: new Date().toISOString(),
    };
    return JSON.stringify(state);
  }

  birth(): Promise<void> {
    return this.opts.outbox.publish(this.topic, this.stateJson('online'), true);
  }

  /** The clean shutdown's last word [HOST-LIVE-3]. */
  offline(): Promise<void> {
    return this.opts.outbox.publish(this.topic, this.stateJson('offline'), true).catch(() => {});
  }

  /** A state on our own topic with a lower epoch (a stale Will, an old birth) is answered with a new birth [LIVE-REBIRTH-1]. */
  onOwnState(payload: Buffer): void {
    const state = parseObject(payload);
    if (
      !this.opts.lifecycle.isReady ||
      this.opts.lifecycle.stopping ||
      !state ||
      typeof state.epoch !== 'number' ||
      state.epoch >= this.epoch
    )
      return;
    void this.birth().catch(() => {});
  }

  /** The MQTT connection is (re)established. */
  connected(): void {
    this.opts.log.info({ epoch: this.epoch }, 'connected to broker');
    // On a reconnect: birth and snapshots again, since a restarted broker may have lost them.
    if (this.opts.lifecycle.isReady) void this.opts.announce().catch((err) => this.opts.log.error({ err }, 'republish failed'));
  }

  /** The MQTT connection is lost; resolves when the epoch of the next one (and of its Will) is known. */
  disconnected(): Promise<void> | undefined {
    if (this.opts.lifecycle.stopping) return undefined;
    // Every connection gets a new epoch, so a Will of an older connection is recognisably stale [LIVE-EPOCH-1].
    return this.opts.store.nextEpoch(this.opts.hostId).then((epoch) => {
      this.epoch = epoch;
    });
  }
}
