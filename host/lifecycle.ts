/**
 * Where the host is in its life: starting (commands wait), ready (overdue deadlines resolved, the
 * birth goes out [HOST-LIVE-1]), stopping (nothing new is taken in or armed [HOST-LIVE-3]).
 */
export class Lifecycle {
  /** Resolves when the host is ready to process commands. */
  readonly ready: Promise<void>;
  isReady = false;
  stopping = false;
  private markReady!: () => void;

  constructor() {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  becomeReady(): void {
    this.isReady = true;
    this.markReady();
  }
}
