import type { ContestantOptions, Diverged, OPTIMIZERS } from './messages.js';
import { PRIMARY_CONTESTANT } from './messages.js';
import type { SessionView } from './session-view.js';

/** One row of {@link leaderboardOf}: a contestant, where it stands and how it is tuned. */
export interface Standing {
  /** 1 for the lowest rolling loss; contestants without one (diverged, or too new) rank last. */
  rank: number;
  /** `primary` for the run's own optimizer, else the contestant's id. */
  id: string;
  name: string;
  optimizer: (typeof OPTIMIZERS)[number];
  options: ContestantOptions;
  /** 0 for the primary contestant, 1 to 7 for the others. */
  colour: number;
  /** The rolling loss it is ranked by: the debiased EMA of its prequential loss. */
  lossEma: number | null;
  params: number[];
  steps: number;
  diverged: Diverged | null;
}

/**
 * The race's standings, derived from a view: the primary contestant (the run's own
 * optimizer) and every other, lowest rolling loss first; those without one (diverged,
 * or not yet scored) last; ties in entry order, the primary first.
 *
 * @param view - a session view.
 * @returns one row per contestant; none before the view has a configuration.
 * @example
 * ```ts
 * import { emptySessionView, leaderboardOf } from '@adamflow/protocol';
 * leaderboardOf(emptySessionView()); // []
 * ```
 */
export function leaderboardOf(view: SessionView): Standing[] {
  const { config } = view;
  if (!config) return [];
  const rows: Standing[] = [
    {
      rank: 0,
      id: PRIMARY_CONTESTANT,
      name: config.optimizer,
      optimizer: config.optimizer,
      options: { lr: config.lr },
      colour: 0,
      lossEma: view.diverged ? null : view.lossEma,
      params: view.params,
      steps: view.step,
      diverged: view.diverged,
    },
  ];
  for (const contestant of config.contestants ?? []) {
    const status = view.contestants.find((other) => other.id === contestant.id);
    rows.push({
      rank: 0,
      id: contestant.id,
      name: contestant.name,
      optimizer: contestant.optimizer,
      options: contestant.options,
      colour: contestant.colour,
      lossEma: contestant.diverged ? null : (status?.lossEma ?? null),
      params: status?.params ?? [],
      steps: status?.steps ?? 0,
      diverged: contestant.diverged,
    });
  }
  const key = (row: Standing) => row.lossEma ?? Number.POSITIVE_INFINITY;
  // Array.prototype.sort is stable: ties keep entry order.
  rows.sort((a, b) => (key(a) === key(b) ? 0 : key(a) < key(b) ? -1 : 1));
  rows.forEach((row, i) => {
    row.rank = i + 1;
  });
  return rows;
}
