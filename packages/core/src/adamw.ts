import { Adam, type AdamOptions, type AdamSettings } from './adam.js';
import type { ParamArray } from './param-array.js';

/**
 * AdamW (Loshchilov & Hutter, 2019) with PyTorch's `torch.optim.AdamW` semantics:
 * weight decay is decoupled from the gradient. Before the Adam update of step `t`,
 * `p = p * (1 - lr * weightDecay)`; the moments see the raw gradient. The update is
 * otherwise {@link Adam}'s, `eps` in the same place. Default `weightDecay` is 0.01.
 *
 * @example
 * ```ts
 * import { AdamW } from '@adamflow/core';
 * const params = new Float64Array([1, -1]);
 * const opt = new AdamW(params, { lr: 0.01, weightDecay: 0.1 });
 * opt.step([0.5, 0.25]);
 * ```
 */
export class AdamW extends Adam {
  override get kind(): 'adamw' {
    return 'adamw';
  }

  protected override get decoupled(): boolean {
    return true;
  }

  /**
   * @param params - the parameters, updated in place.
   * @param options - as {@link Adam}'s; `weightDecay` defaults to 0.01.
   * @param settings - as {@link Adam}'s (the backend).
   */
  constructor(params: ParamArray, options?: AdamOptions, settings?: AdamSettings) {
    super(params, withDecoupledDefault(options), settings);
  }
}

/** PyTorch's AdamW default. */
const ADAMW_WEIGHT_DECAY = 0.01;

function withDecoupledDefault(options: AdamOptions | undefined): AdamOptions | undefined {
  // Anything but a plain options object goes through untouched so the base reports it.
  if (options === undefined) return { weightDecay: ADAMW_WEIGHT_DECAY };
  if (options === null || typeof options !== 'object') return options;
  return { ...options, weightDecay: options.weightDecay ?? ADAMW_WEIGHT_DECAY };
}
