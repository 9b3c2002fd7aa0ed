import {
  linearRegression,
  logisticRegression,
  type MetricName,
  type Model,
  mlp,
  poissonRegression,
  softmaxRegression,
  type TargetType,
} from '@adamflow/stream';

/** What a model predicts, which decides how its target is read and which metrics fit it. */
export type Family = 'regression' | 'binary' | 'multiclass';

/** The model flags, validated (each used only by the models that take it). */
export interface ModelShape {
  /** --classes: K for softmax and a classifying MLP. */
  classes: number;
  /** --hidden: the MLP's hidden layer widths. */
  hidden: number[];
  /** --activation: the MLP's hidden activation. */
  activation: 'tanh' | 'relu';
  /** --task: what the MLP does. */
  task: 'regression' | 'classification';
  /** --seed: the MLP's initial weights. */
  seed: number;
}

/** A model the CLI can train on data: how to build it and what its data looks like. */
export interface ModelEntry {
  /** One line for --help. */
  help: string;
  /** The model flags it takes (others are refused with it). */
  flags: readonly string[];
  /** What it predicts with these flags. */
  family: (shape: ModelShape) => Family;
  /** Builds the model for a feature count. */
  create: (features: number, shape: ModelShape) => Model;
  /** The metrics reported unless --metrics says otherwise; default its family's. */
  metrics?: readonly MetricName[];
}

/** By family: how the target is read unless --target-type says, the metrics that fit, the defaults. */
export const FAMILIES: Readonly<
  Record<
    Family,
    { targetType: TargetType; allowed: readonly MetricName[]; metrics: readonly MetricName[] }
  >
> = {
  regression: {
    targetType: 'number',
    allowed: ['mae', 'mse', 'rmse', 'r2'],
    metrics: ['mae', 'rmse', 'r2'],
  },
  binary: {
    targetType: 'boolean',
    allowed: [
      'accuracy',
      'precision',
      'recall',
      'f1',
      'macro-f1',
      'logloss',
      'rocauc',
      'rocauc-binned',
    ],
    metrics: ['accuracy', 'logloss', 'rocauc'],
  },
  // Precision, recall, F1 and ROC AUC are of class 1 against the rest: not offered for K.
  multiclass: {
    targetType: 'category',
    allowed: ['accuracy', 'macro-f1', 'logloss'],
    metrics: ['accuracy', 'macro-f1', 'logloss'],
  },
};

/**
 * The models `--model` names. One catalogue: the usage text, the option check and the
 * trainer all read it.
 */
export const MODELS: Readonly<Record<string, ModelEntry>> = {
  linear: {
    help: 'linear regression, squared error',
    flags: [],
    family: () => 'regression',
    create: (features) => linearRegression({ features }),
  },
  logistic: {
    help: 'binary logistic regression, log loss',
    flags: [],
    family: () => 'binary',
    create: (features) => logisticRegression({ features }),
  },
  softmax: {
    help: 'K-class softmax regression, cross-entropy (needs --classes)',
    flags: ['classes'],
    family: () => 'multiclass',
    create: (features, { classes }) => softmaxRegression({ features, classes }),
  },
  poisson: {
    help: 'Poisson regression (log link) of counts >= 0',
    flags: [],
    family: () => 'regression',
    create: (features) => poissonRegression({ features }),
    metrics: ['mae', 'rmse'],
  },
  mlp: {
    help: 'a multilayer perceptron (--hidden, --activation, --task, --seed)',
    flags: ['classes', 'hidden', 'activation', 'task', 'seed'],
    // Two classes take one sigmoid output (P(class 1)), as logistic regression does.
    family: ({ task, classes }) =>
      task === 'regression' ? 'regression' : classes === 2 ? 'binary' : 'multiclass',
    create: (inputs, { classes, hidden, activation, task, seed }) =>
      mlp({
        inputs,
        hidden,
        outputs: task === 'classification' && classes > 2 ? classes : 1,
        activation,
        task,
        seed,
      }),
  },
};

/** The flags only some models take: refused with the others. */
export const MODEL_FLAGS = ['classes', 'hidden', 'activation', 'task', 'seed'] as const;
