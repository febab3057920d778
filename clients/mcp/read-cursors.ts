/**
 * What one MCP session has read of each Tether session: the highest seq it was shown. Two MCP
 * clients of one `tether mcp --http` keep their own cursors, so "only what is new" means new to
 * that client. Cursors live as long as the MCP session.
 */
export class ReadCursors {
  private readonly upTo = new Map<string, number>();

  /** The highest seq shown of the session, 0 when it was never read. */
  get(sid: string): number {
    return this.upTo.get(sid) ?? 0;
  }

  /** Records that events up to `seq` were shown; a page of older events never moves it back. */
  shown(sid: string, seq: number): void {
    if (seq > this.get(sid)) this.upTo.set(sid, seq);
  }
}
