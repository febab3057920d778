/**
 * How a long-running command (watch, chat) ends: Ctrl-C or SIGTERM is the normal way out (exit 0),
 * a connection the broker refuses for good is exit 4, and the command may end itself with done().
 */
import type { TetherClient } from '../lib/index.ts';

export class Lifetime {
  readonly ended: Promise<number | void>;
  private finish!: (code: number | void) => void;
  private fail!: (err: unknown) => void;
  private readonly offs: (() => void)[] = [];

  constructor(client: TetherClient) {
    this.ended = new Promise((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
    const onSignal = () => this.done();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    this.offs.push(
      () => process.off('SIGINT', onSignal),
      () => process.off('SIGTERM', onSignal),
    );
    this.offs.push(client.on('error', (err) => this.failWith(err)));
    void this.ended.then(
      () => this.dispose(),
      () => this.dispose(),
    );
  }

  done(code?: number): void {
    this.finish(code);
  }

  failWith(err: unknown): void {
    this.fail(err);
  }

  private dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
