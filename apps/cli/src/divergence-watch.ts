import { StreamError } from '@adamflow/stream';

/**
 * Tells a run that diverged from one that learned: non-finite parameters or loss, or
 * a loss (the learner's debiased EMA) that ends above {@link DivergenceWatch.FACTOR}
 * times the lowest value it took during the run. A drifting stream raises the loss for
 * a while, by far less than that; a learning rate far too large raises it by many
 * orders of magnitude within a few samples.
 */
export class DivergenceWatch {
  /** How much worse than its best the final loss may be. */
  static readonly FACTOR = 1000;
  private best = Number.POSITIVE_INFINITY;

  /** Records the loss at some point of the run. */
  observe(loss: number): void {
    if (loss < this.best) this.best = loss;
  }

  /**
   * @param loss - the loss at the end.
   * @param params - the parameters at the end.
   * @throws StreamError `ADAMFLOW_ERR_DIVERGED` when the run diverged.
   */
  check(loss: number, params: ArrayLike<number>): void {
    let finite = !Number.isNaN(loss) && loss !== Number.POSITIVE_INFINITY;
    for (let i = 0; i < params.length; i++) finite &&= Number.isFinite(params[i]);
    if (!finite) {
      throw new StreamError(
        'ADAMFLOW_ERR_DIVERGED',
        'training diverged: the parameters or the loss are no longer finite; lower --lr',
      );
    }
    if (loss > DivergenceWatch.FACTOR * this.best) {
      throw new StreamError(
        'ADAMFLOW_ERR_DIVERGED',
        `training diverged: the loss ended at ${loss.toPrecision(4)}, over ${DivergenceWatch.FACTOR}x its best ${this.best.toPrecision(4)}; lower --lr`,
      );
    }
  }
}
