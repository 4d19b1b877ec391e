/**
 * Output formats for data: an aligned text table sized to the terminal, CSV (RFC 4180) and
 * JSON objects. Cells are shown as SQLite gives them; binary blobs as hex.
 */

const MIN_COLUMN_CHARS = 4;
const ELLIPSIS = '…';

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

function truncate(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= width ? flat : flat.slice(0, Math.max(0, width - 1)) + ELLIPSIS;
}

/**
 * Column widths fitting `maxWidth`: every column gets its natural width if everything fits;
 * otherwise the widest columns shrink first (a long `data` JSON gives way before `seq`).
 */
function fitWidths(natural: number[], maxWidth: number): number[] {
  const widths = [...natural];
  const gaps = (widths.length - 1) * 2;
  const total = (): number => widths.reduce((a, b) => a + b, 0) + gaps;
  while (total() > maxWidth) {
    let widest = 0;
    widths.forEach((w, i) => {
      if (w > widths[widest]!) widest = i;
    });
    if (widths[widest]! <= MIN_COLUMN_CHARS) break;
    widths[widest] = Math.max(MIN_COLUMN_CHARS, widths[widest]! - Math.max(1, total() - maxWidth));
  }
  return widths;
}

/** An aligned table no wider than `maxWidth` (Infinity when not a terminal). */
export function renderTable(columns: string[], rows: unknown[][], maxWidth = Infinity): string {
  const cells = rows.map((row) => columns.map((_, i) => cellText(row[i]).replace(/\s+/g, ' ')));
  const natural = columns.map((name, i) =>
    Math.max(name.length, ...cells.map((row) => row[i]!.length)),
  );
  const widths = fitWidths(natural, maxWidth);
  const numeric = columns.map((_, i) =>
    rows.every((row) => typeof row[i] === 'number' || row[i] === null),
  );
  const line = (values: string[]): string =>
    values
      .map((v, i) => {
        const text = truncate(v, widths[i]!);
        return numeric[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  const out = [line(columns), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of cells) out.push(line(row));
  return out.join('\n') + '\n';
}

function csvField(value: unknown): string {
  const text = cellText(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(columns: string[], rows: unknown[][]): string {
  return [columns, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Rows as JSON objects keyed by column name (one array, pretty enough to read). */
export function rowsToObjects(
  columns: string[],
  rows: unknown[][],
): Array<Record<string, unknown>> {
  return rows.map((row) =>
    Object.fromEntries(
      columns.map((name, i) => {
        const value = row[i];
        return [
          name,
          value instanceof Uint8Array
            ? Buffer.from(value).toString('hex')
            : typeof value === 'bigint'
              ? value.toString()
              : value,
        ];
      }),
    ),
  );
}
