// The dashboard page: one WebSocket (the @adamflow/protocol client, with reconnect and
// resync), state updated per message, charts redrawn at most once per animation frame.
import {
  type Config,
  connect,
  type Diverged,
  MAX_RATE,
  MIN_RATE,
  type ServerMessage,
} from '@adamflow/protocol';
import type uPlot from 'uplot';
import { lossChart, paramsChart, scatterChart } from './charts.js';
import './style.css';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const RECENT = 400;
const HISTORY = 2000;

// ---- state ----
let config: Config | undefined;
let params: number[] = [];
let truth: number[] | null = null;
let step = 0;
let samplesPerSecond = 0;
let lossEma: number | null = null;
// Set while training is stopped because the run diverged.
let diverged: Diverged | null = null;
let recentX: number[] = [];
let recentY: number[] = [];
let history = {
  step: [] as number[],
  loss: [] as number[],
  lossEma: [] as number[],
  params: [] as number[][],
};
let dirty = false;
let paramsPlot: uPlot | undefined;

const scatter = scatterChart($('scatter'));
const loss = lossChart($('loss'));

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const client = connect(wsUrl);

client.status.subscribe((status) => {
  const shown = status === 'open' ? runStatus() : status;
  setStatus(shown);
});

client.messages.subscribe((message) => {
  apply(message);
  dirty = true;
});

function runStatus(): string {
  if (diverged) return 'diverged';
  return config?.paused ? 'paused' : 'live';
}

function setStatus(status: string): void {
  document.body.dataset['status'] = status;
  $('status-text').textContent =
    {
      live: 'live',
      paused: 'paused',
      connecting: 'connecting…',
      reconnecting: 'reconnecting…',
      closed: 'disconnected',
      open: 'live',
      diverged: 'diverged',
    }[status] ?? status;
}

function apply(message: ServerMessage): void {
  switch (message.type) {
    case 'snapshot':
      config = message.config;
      diverged = message.diverged;
      params = message.params;
      truth = message.truth;
      step = message.step;
      samplesPerSecond = message.samplesPerSecond;
      lossEma = message.lossEma;
      recentX = message.recent.x;
      recentY = message.recent.y;
      history = {
        step: message.history.step,
        loss: message.history.loss.map((v) => Math.max(v, 1e-3)),
        lossEma: message.history.lossEma.map((v) => Math.max(v, 1e-3)),
        params: message.history.params,
      };
      rebuildParamsChart();
      syncControls();
      return;
    case 'params-update': {
      params = message.params;
      truth = message.truth;
      step = message.step;
      samplesPerSecond = message.samplesPerSecond;
      lossEma = message.lossEma;
      recentX = recentX.concat(message.recent.x).slice(-RECENT);
      recentY = recentY.concat(message.recent.y).slice(-RECENT);
      if (
        message.loss !== null &&
        message.lossEma !== null &&
        params.length === history.params.length
      ) {
        history.step.push(step);
        history.loss.push(Math.max(message.loss, 1e-3));
        history.lossEma.push(Math.max(message.lossEma, 1e-3));
        params.forEach((p, j) => {
          history.params[j]!.push(p);
        });
        if (history.step.length > HISTORY) decimate();
      }
      return;
    }
    case 'state-changed': {
      // A restart (reset, or any command after a divergence) starts the step count over.
      const restarted = message.step < step;
      config = message.config;
      diverged = message.diverged;
      params = message.params;
      truth = message.truth;
      step = message.step;
      const newData = message.reason === 'set-source' || message.reason === 'restore';
      if (message.reason === 'reset' || newData || restarted) {
        history = { step: [], loss: [], lossEma: [], params: params.map(() => []) };
        if (newData) {
          recentX = [];
          recentY = [];
        }
        rebuildParamsChart();
      }
      syncControls();
      toast(`${describeReason(message.reason)}`, message.reason === 'diverged');
      return;
    }
    case 'command-ack':
      // The other commands show in the state-changed that follows; a checkpoint changes nothing.
      if (message.command === 'checkpoint') toast('checkpoint saved');
      return;
    case 'error':
      if (message.code === 'ADAMFLOW_ERR_UNAUTHORIZED') $('token-field').hidden = false;
      toast(message.message, true);
      return;
  }
}

function decimate(): void {
  const keep = (_: number, i: number) => i % 2 === 0;
  history = {
    step: history.step.filter(keep),
    loss: history.loss.filter(keep),
    lossEma: history.lossEma.filter(keep),
    params: history.params.map((series) => series.filter(keep)),
  };
}

function describeReason(reason: string): string {
  switch (reason) {
    case 'pause':
      return 'paused';
    case 'resume':
      return 'resumed';
    case 'reset':
      return 'reset: training from scratch';
    case 'set-lr':
      return `learning rate ${config?.lr}`;
    case 'set-optimizer':
      return `optimizer ${config?.optimizer}`;
    case 'diverged':
      return 'the run diverged: training stopped';
    case 'set-rate':
      return `pace: ${config?.rate === null ? 'flat out' : `${formatRate(config?.rate ?? null)} samples`}`;
    case 'restore':
      return 'back to the last checkpoint';
    default:
      return `source ${config?.source}`;
  }
}

function rebuildParamsChart(): void {
  const element = $('params');
  if (paramsPlot && (paramsPlot.series.length - 1) / 2 === params.length) return;
  paramsPlot?.destroy();
  paramsPlot = paramsChart(element, params.length);
  if (history.params.length !== params.length) history.params = params.map(() => []);
}

function syncControls(): void {
  if (!config) return;
  $('pause').textContent = config.paused ? 'Resume' : 'Pause';
  // Resuming a diverged run would only diverge again: a setting has to change first.
  $<HTMLButtonElement>('pause').disabled = diverged !== null;
  const banner = $('diverged');
  banner.hidden = diverged === null;
  banner.textContent = diverged
    ? `Training diverged at step ${diverged.step.toLocaleString('en')} (${config.optimizer}, lr ${formatLr(config.lr)}) and stopped: lower the learning rate, pick another optimizer, or reset.`
    : '';
  $<HTMLSelectElement>('optimizer').value = config.optimizer;
  $<HTMLSelectElement>('source').value = config.source;
  const lr = $<HTMLInputElement>('lr');
  if (document.activeElement !== lr) {
    lr.value = String(Math.log10(config.lr));
    showLr(config.lr);
  }
  const rate = $<HTMLInputElement>('rate');
  if (document.activeElement !== rate) {
    rate.value = String(config.rate === null ? FLAT_OUT : Math.log10(config.rate));
    showRate(config.rate);
  }
  setStatus(runStatus());
  const formula = {
    seed: 'y = 4 + 3x + noise',
    drift: 'a line that drifts from y = 4 + 3x to y = 1 − 2x',
    multilinear: 'y = 4 + 3x₁ − 1.5x₂ + 0.5x₃ + noise',
    logistic: 'P(y = 1) = σ(3x − 3)',
  }[config.source];
  $('subtitle').innerHTML =
    `${config.optimizer === 'amsgrad' ? 'AMSGrad' : config.optimizer.toUpperCase() === 'ADAM' ? 'Adam' : config.optimizer} learning <b>${formula}</b>, one sample at a time`;
}

const formatLr = (lr: number) => (lr >= 0.01 ? lr.toFixed(3) : lr.toExponential(1));

/** A number in at most about eight characters, so that it fits its tile on a phone. */
function format(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5) return value.toExponential(2);
  return value.toFixed(magnitude >= 100 ? Math.min(digits, 2) : digits);
}

// The pace slider runs over log10(samples per second), MIN_RATE to MAX_RATE; one notch
// past the top trains flat out.
const FLAT_OUT = Math.log10(MAX_RATE) + 0.1;
const rateOf = (position: number): number | null =>
  position > Math.log10(MAX_RATE) + 1e-9
    ? null
    : Math.min(MAX_RATE, Math.max(MIN_RATE, Number((10 ** position).toPrecision(2))));
const formatRate = (rate: number | null) =>
  rate === null ? 'flat out' : `${Math.round(rate).toLocaleString('en')}/s`;

function showRate(rate: number | null): void {
  const text = formatRate(rate);
  $('rate-value').textContent = text;
  $('rate').setAttribute('aria-valuetext', text);
}

/** The slider's value as people read it, shown beside it and announced by screen readers. */
function showLr(lr: number): void {
  const text = formatLr(lr);
  $('lr-value').textContent = text;
  $('lr').setAttribute('aria-valuetext', text);
}

function draw(): void {
  $('stat-step').textContent = step.toLocaleString('en');
  $('stat-rate').textContent = Math.round(samplesPerSecond).toLocaleString('en');
  $('stat-loss').textContent = format(lossEma);
  $('stat-p0').textContent = format(params[0]);
  $('stat-p1').textContent = format(params[1]);
  $('truth-p0').textContent = truth ? `true ${format(truth[0], 2)}` : '';
  $('truth-p1').textContent = truth ? `true ${format(truth[1], 2)}` : '';
  $('stat-optimizer').textContent = config
    ? `${config.optimizer} · lr ${formatLr(config.lr)}`
    : '–';
  const scatterElement = $('scatter');
  scatterElement.dataset['intercept'] = String(params[0] ?? '');
  scatterElement.dataset['slope'] = String(params[1] ?? '');
  scatterElement.dataset['step'] = String(step);

  // Scatter: x sorted ascending (uPlot's x must be), with the line evaluated at each x.
  const logistic = config?.model === 'logistic-regression';
  const order = recentX.map((_, i) => i).sort((i, j) => recentX[i]! - recentX[j]!);
  const lo = Math.min(0, ...recentX.slice(0, 1));
  const xs = [lo, ...order.map((i) => recentX[i]!), 2];
  const ys: (number | null)[] = [null, ...order.map((i) => recentY[i]!), null];
  const line = (p: number[] | null) =>
    xs.map((x) => {
      if (!p || p.length < 2) return null;
      const z = p[0]! + p[1]! * x;
      return logistic ? 1 / (1 + Math.exp(-z)) : z;
    });
  scatter.setData([xs, ys, line(truth), line(params)]);

  loss.setData([history.step, history.loss, history.lossEma]);
  if (paramsPlot && history.params.length === params.length) {
    const truths = params.map((_, j) => history.step.map(() => truth?.[j] ?? null));
    paramsPlot.setData([history.step, ...history.params, ...truths] as uPlot.AlignedData);
  }
}

function frame(): void {
  if (dirty) {
    dirty = false;
    draw();
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

// ---- controls ----
let toastTimer: ReturnType<typeof setTimeout> | undefined;
function toast(text: string, error = false): void {
  const element = $('toast');
  element.textContent = text;
  element.classList.toggle('error', error);
  element.style.opacity = '1';
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    element.style.opacity = '0';
  }, 3500);
}

function send(command: Parameters<typeof client.send>[0]): void {
  const token = $<HTMLInputElement>('token').value;
  client.send(token ? ({ ...command, token } as typeof command) : command);
}

$('pause').addEventListener('click', () => send({ type: config?.paused ? 'resume' : 'pause' }));
$('reset').addEventListener('click', () => send({ type: 'reset' }));
/**
 * Calls `action` with the latest value at most once per `interval` ms; the last value always
 * goes. A held arrow key moves a slider ~30 times a second, each a `change`: sent one by one
 * they would run into the server's rate limit.
 */
function throttled<T>(action: (value: T) => void, interval: number): (value: T) => void {
  let last = Number.NEGATIVE_INFINITY;
  let latest: T;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (value) => {
    latest = value;
    if (timer !== undefined) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        last = performance.now();
        action(latest);
      },
      Math.max(0, last + interval - performance.now()),
    );
  };
}

const sendLr = throttled((lr: number) => send({ type: 'set-lr', lr }), 300);
$<HTMLInputElement>('lr').addEventListener('input', (event) => {
  showLr(10 ** Number((event.target as HTMLInputElement).value));
});
$<HTMLInputElement>('lr').addEventListener('change', (event) => {
  sendLr(Number((10 ** Number((event.target as HTMLInputElement).value)).toPrecision(3)));
});
const sendRate = throttled((rate: number | null) => send({ type: 'set-rate', rate }), 300);
$<HTMLInputElement>('rate').addEventListener('input', (event) => {
  showRate(rateOf(Number((event.target as HTMLInputElement).value)));
});
$<HTMLInputElement>('rate').addEventListener('change', (event) => {
  sendRate(rateOf(Number((event.target as HTMLInputElement).value)));
});
$('save').addEventListener('click', () => send({ type: 'checkpoint' }));
$('restore').addEventListener('click', () => send({ type: 'restore' }));
$<HTMLSelectElement>('optimizer').addEventListener('change', (event) => {
  send({
    type: 'set-optimizer',
    optimizer: (event.target as HTMLSelectElement).value as Config['optimizer'],
  });
});
$<HTMLSelectElement>('source').addEventListener('change', (event) => {
  send({
    type: 'set-source',
    source: (event.target as HTMLSelectElement).value as Config['source'],
  });
});

// For end-to-end tests and the curious.
(window as unknown as { adamflow: unknown }).adamflow = {
  get state() {
    return { config, params, truth, step, samplesPerSecond, lossEma, diverged };
  },
};
