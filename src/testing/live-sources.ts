import type { DesiredContext } from '../core/contracts.ts';
import type { Facts } from '../core/model.ts';

/** A desired-state context whose sources (name → facts) all read completely now, as `static` sources. */
export function liveSources(facts: Readonly<Record<string, Facts>>): DesiredContext {
  return {
    sources: new Map(
      Object.entries(facts).map(([name, f]) => [name, { name, type: 'static', status: 'live', facts: f, notes: [] }]),
    ),
  };
}
