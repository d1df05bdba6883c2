import type { ChangeResult } from '../../core/contracts.ts';
import { describeError, isGatehouseError } from '../../core/errors.ts';
import { installTable } from './install-table.ts';
import { runCommand, type PostfixTools } from './postmap.ts';
import { lineProblem, renderTable } from './render.ts';
import type { TableChange } from './types.ts';

export interface ApplyOptions {
  readonly target: string;
  readonly path: string;
  readonly tools: PostfixTools;
  /** Run after the new table is live (texthash needs it; compiled tables are re-opened by smtpd on their own). */
  readonly reload?: readonly string[];
}

/**
 * Applies the table change: re-validates every line (a saved plan is not trusted), renders, compiles and swaps the
 * table in ({@link installTable}), then runs the reload command if configured. A failure leaves the live table as it
 * was (a failed reload after the swap is reported, but the table is already live).
 */
export async function applySenderLogins(
  o: ApplyOptions,
  changes: readonly TableChange[],
  signal: AbortSignal,
): Promise<ChangeResult[]> {
  const out: ChangeResult[] = [];
  for (const c of changes) {
    try {
      if (c.path !== o.path) throw new Error(`change is for ${c.path}, this target writes ${o.path}`);
      const bad = c.lines
        .map((l, i) => ({ i, why: lineProblem(l) }))
        .filter((x) => x.why !== undefined)
        .slice(0, 5);
      if (bad.length > 0) {
        throw new Error(`refusing to write the table: ${bad.map((b) => `line ${b.i + 1} ${b.why}`).join('; ')}`);
      }
      await installTable(o.path, c.mapType, renderTable(c.lines, o.target), o.tools, signal);
      if (o.reload) await runCommand(o.reload, signal, o.tools.timeoutMs);
      out.push({ id: c.id, status: 'applied', message: `${c.lines.length} entries` });
    } catch (e) {
      out.push({
        id: c.id,
        status: 'failed',
        message: describeError(e),
        errorCode: isGatehouseError(e) ? e.code : 'TARGET_FAILED',
      });
    }
  }
  return out;
}
