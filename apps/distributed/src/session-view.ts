import { History } from '@adamflow/dashboard/server-kit';
import {
  type Config,
  type ParamsUpdate,
  PROTOCOL_VERSION,
  type Snapshot,
  type StateChanged,
} from '@adamflow/protocol';

/** Where a session starts for a gateway before its frames arrive (from its checkpoint). */
export interface ViewStart {
  config: Config;
  truth: number[] | null;
  params: number[];
  step: number;
  samples: number;
}

/**
 * A session as a gateway's viewers see it: the frames it broadcast, folded into what
 * a snapshot needs (the latest state and a downsampled history).
 *
 * @example
 * ```ts
 * import { SessionView } from './session-view.js';
 * declare const start: import('./session-view.js').ViewStart;
 * declare const frame: import('@adamflow/protocol').ParamsUpdate;
 * const view = new SessionView(start);
 * view.apply(frame);
 * view.snapshot(frame.seq, 'epoch', Date.now(), 1).params;
 * ```
 */
export class SessionView {
  private config: Config;
  private truth: number[] | null;
  private params: number[];
  private step: number;
  private samples: number;
  private loss: number | null = null;
  private lossEma: number | null = null;
  private samplesPerSecond = 0;
  private readonly history: History;

  constructor(start: ViewStart, historyLimit = 1000) {
    this.config = start.config;
    this.truth = start.truth;
    this.params = start.params;
    this.step = start.step;
    this.samples = start.samples;
    this.history = new History(historyLimit);
  }

  /** Folds in one frame, in stream order. */
  apply(frame: ParamsUpdate | StateChanged): void {
    this.params = frame.params;
    this.step = frame.step;
    this.samples = frame.samples;
    this.truth = frame.truth;
    if (frame.type === 'state-changed') {
      this.config = frame.config;
      return;
    }
    this.loss = frame.loss;
    this.lossEma = frame.lossEma;
    this.samplesPerSecond = frame.samplesPerSecond;
    if (frame.loss !== null && frame.lossEma !== null) {
      this.history.add({
        step: frame.step,
        loss: frame.loss,
        lossEma: frame.lossEma,
        params: frame.params,
      });
    }
  }

  /** Everything a viewer needs to draw, as of `seq` in `epoch`. */
  snapshot(seq: number, epoch: string, time: number, clients: number): Snapshot {
    return {
      type: 'snapshot',
      protocol: PROTOCOL_VERSION,
      seq,
      time,
      config: this.config,
      truth: this.truth,
      params: this.params,
      step: this.step,
      samples: this.samples,
      samplesPerSecond: this.samplesPerSecond,
      loss: this.loss,
      lossEma: this.lossEma,
      history: this.history.columns(this.params.length),
      recent: { x: [], y: [] },
      clients,
      diverged: null,
      epoch,
    };
  }
}
