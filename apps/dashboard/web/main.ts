// The dashboard page: one WebSocket (the @adamflow/protocol client, with reconnect and
// resync), state updated per message, charts redrawn at most once per animation frame.
import {
  applyServerMessage,
  type Config,
  connect,
  emptySessionView,
  MAX_RATE,
  MIN_RATE,
  type ServerMessage,
  type SessionView,
} from '@adamflow/protocol';
import type uPlot from 'uplot';
import { CONTESTANT_SLOTS, lossChart, paramsChart, scatterChart } from './charts.js';
import { racePanel } from './race-panel.js';
import './style.css';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
// The loss chart's axis is logarithmic: a loss of 0 would fall off it.
const LOSS_FLOOR = 1e-3;

// ---- state ----
// The session as the server's frames describe it, kept with the protocol's own update
// function: the same view the server keeps, so a page that joins late draws the same.
let view: SessionView = emptySessionView();
let dirty = false;
let paramsPlot: uPlot | undefined;
// The parameter count the parameters chart was built for.
let paramsCount = -1;

const scatter = scatterChart($('scatter'));
const loss = lossChart($('loss'));

// A gateway serves any session: the page's own `?session=NAME` names the one to watch.
const session = new URLSearchParams(location.search).get('session');
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${session === null ? '' : `?session=${encodeURIComponent(session)}`}`;
const client = connect(wsUrl);

client.status.subscribe((status) => {
  const shown = status === 'open' ? runStatus() : status;
  setStatus(shown);
});

client.messages.subscribe((message) => {
  const before = view;
  view = applyServerMessage(view, message);
  react(message, before);
  dirty = true;
});

function runStatus(): string {
  if (view.diverged) return 'diverged';
  return view.config?.paused ? 'paused' : 'live';
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

/** What a frame means for the page beyond the view: controls, charts' shape, toasts. */
function react(message: ServerMessage, before: SessionView): void {
  switch (message.type) {
    case 'snapshot':
      rebuildParamsChart();
      syncControls();
      return;
    case 'state-changed':
      if (
        view.history.params.length !== before.history.params.length ||
        view.paramCount !== before.paramCount
      ) {
        rebuildParamsChart();
      }
      syncControls();
      toast(`${describeReason(message.reason)}`, message.reason === 'diverged');
      return;
    case 'params-update':
      // A new model's first update (e.g. a big one's, after a session's placeholder).
      if (view.paramCount !== before.paramCount) rebuildParamsChart();
      return;
    case 'command-ack':
      // The other commands show in the state-changed that follows; a checkpoint changes nothing.
      if (message.command === 'checkpoint') toast('checkpoint saved');
      return;
    case 'error':
      if (message.code === 'ADAMFLOW_ERR_UNAUTHORIZED') $('token-field').hidden = false;
      toast(message.message, true);
      return;
    default:
      return;
  }
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
      return `learning rate ${view.config?.lr}`;
    case 'set-optimizer':
      return `optimizer ${view.config?.optimizer}`;
    case 'diverged':
      return 'the run diverged: training stopped';
    case 'set-rate':
      return `pace: ${view.config?.rate === null ? 'flat out' : `${formatRate(view.config?.rate ?? null)} samples`}`;
    case 'restore':
      return 'back to the last checkpoint';
    case 'add-contestant':
      return 'a contestant joined the race';
    case 'remove-contestant':
      return 'a contestant left the race';
    case 'retune-contestant':
      return 'a contestant was retuned';
    case 'contestant-diverged':
      return 'a contestant diverged and stopped; the race goes on';
    default:
      return `source ${view.config?.source}`;
  }
}

function rebuildParamsChart(): void {
  const element = $('params');
  // The history keeps the first few trajectories only (trajectoryLimit): a model with
  // thousands of parameters draws those, and the card says so.
  const count = view.history.params.length;
  // A big model's frames carry its first parameters and its count (paramCount).
  const total = view.paramCount;
  $('params-note').textContent =
    count < total ? `first ${count} of ${total.toLocaleString('en')} parameters · ` : '';
  if (paramsPlot && paramsCount === count) return;
  paramsPlot?.destroy();
  paramsPlot = paramsChart(element, count);
  paramsCount = count;
}

function syncControls(): void {
  const { config, diverged } = view;
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
  const { config, params, truth, step, samplesPerSecond, lossEma, history } = view;
  const { x: recentX, y: recentY } = view.recent;
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
  // The race: each contestant in the slot of its colour; empty slots draw nothing.
  const slots = contestantSlots();
  const none = (length: number) => new Array<null>(length).fill(null);
  scatter.setData([
    xs,
    ys,
    line(truth),
    line(params),
    ...slots.map((id) => (id ? line(statusOf(id)?.params ?? null) : none(xs.length))),
  ] as uPlot.AlignedData);
  scatterElement.dataset['contestants'] = slots.filter(Boolean).join(',');

  const floored = (values: (number | null)[]) =>
    values.map((value) => (value === null ? null : Math.max(value, LOSS_FLOOR)));
  const columnsOf = (id: string | null) =>
    id ? history.contestants.find((columns) => columns.id === id) : undefined;
  loss.setData([
    history.step,
    floored(history.loss),
    floored(history.lossEma),
    ...slots.map((id) => floored(columnsOf(id)?.lossEma ?? none(history.step.length))),
  ] as uPlot.AlignedData);
  if (paramsPlot && history.params.length === paramsCount) {
    const truths = history.params.map((_, j) => history.step.map(() => truth?.[j] ?? null));
    const trajectories = slots.flatMap((id) =>
      history.params.map((_, j) => columnsOf(id)?.params[j] ?? none(history.step.length)),
    );
    paramsPlot.setData([
      history.step,
      ...history.params,
      ...truths,
      ...trajectories,
    ] as uPlot.AlignedData);
  }
  race.update(view);
}

/** The id of the contestant drawn in each chart slot (colours 1 to 7), or null. */
function contestantSlots(): (string | null)[] {
  const slots = new Array<string | null>(CONTESTANT_SLOTS).fill(null);
  for (const contestant of view.config?.contestants ?? []) {
    if (contestant.colour >= 1 && contestant.colour <= CONTESTANT_SLOTS) {
      slots[contestant.colour - 1] = contestant.id;
    }
  }
  return slots;
}

function statusOf(id: string) {
  return view.contestants.find((status) => status.id === id);
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

const race = racePanel($('race'), { send });

$('pause').addEventListener('click', () =>
  send({ type: view.config?.paused ? 'resume' : 'pause' }),
);
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
    return view;
  },
};
