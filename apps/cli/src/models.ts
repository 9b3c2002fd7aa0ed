import {
  linearRegression,
  logisticRegression,
  type Model,
  type TargetType,
} from '@adamflow/stream';

/** A model the CLI can train on data: how to build it and what its data looks like. */
export interface ModelEntry {
  /** Builds the model for a feature count. */
  create: (features: number) => Model;
  /** How the target column is read unless --target-type says otherwise. */
  targetType: TargetType;
  /** The metrics reported unless --metrics says otherwise. */
  metrics: readonly string[];
}

/**
 * The models `--model` names. One catalogue: the usage text, the option check and the
 * trainer all read it.
 */
export const MODELS: Readonly<Record<string, ModelEntry>> = {
  linear: {
    create: (features) => linearRegression({ features }),
    targetType: 'number',
    metrics: ['mae', 'rmse', 'r2'],
  },
  logistic: {
    create: (features) => logisticRegression({ features }),
    targetType: 'boolean',
    metrics: ['accuracy', 'logloss', 'rocauc'],
  },
};
