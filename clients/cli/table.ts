/** Plain text tables: columns padded to their widest cell, the last column left ragged. */
export function table(header: string[], rows: string[][], paint: (col: number, cell: string) => string = (_, c) => c): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: string[], style: (col: number, cell: string) => string) =>
    cells
      .map((c, i) => style(i, i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - [...c].length)))
      .join('  ')
      .trimEnd();
  return [line(header, (_, c) => c), ...rows.map((r) => line(r, paint))];
}

/** At most `max` code points, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}
