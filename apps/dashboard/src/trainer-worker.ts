// The trainer, in a worker thread so a busy trainer never delays broadcasts. It runs a
// trainSession, applies commands between samples, and emits the protocol's own frames:
// a params-update every `reportMs` (not per sample: a flat-out run makes millions of
// updates a second) and a state-changed after each command.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import {
  type Command,
  type Config,
  type Diverged,
  PRIMARY_CONTESTANT,
  SampleThinner,
  type StateChanged,
} from '@adamflow/protocol';
import {
  createGenerator,
  findSource,
  modelFor,
  resolveSpec,
  type Sample,
  type SessionCommand,
  type SessionConfig,
  type SessionEvent,
  type SourceSpec,
  sourceNames,
  type TrainSessionOptions,
  trainSession,
  trueParams,
} from '@adamflow/stream';
import { Subject, type Subscription } from 'rxjs';
import { Contestants } from './contestants.js';
import type {
  DashboardCheckpoint,
  FromTrainer,
  ToTrainer,
  TrainerOptions,
  Unstamped,
} from './trainer-messages.js';

if (!parentPort) throw new Error('trainer-worker must run in a worker thread');
const port = parentPort;

// Nice 2: enough that the I/O thread wins the CPU when both want it (p99 broadcast
// latency), little enough that training keeps most of its speed (bench/results/dashboard.json).
const TRAINER_NICE = 2;
// A flat-out trainer must not take the CPU from the I/O thread: lower this thread's
// scheduling priority (Linux: setpriority on the thread id; no privileges needed to
// lower it). Elsewhere, or if it fails, training simply runs at normal priority.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0) setPriority(tid, TRAINER_NICE);
} catch {
  // not Linux, or not permitted: nothing to do
}
const post = (message: FromTrainer) => port.postMessage(message);

type SourceName = Config['source'];
/** The commands that steer the race beside the primary contestant. */
type ContestantCommand = Extract<
  Command,
  { type: 'add-contestant' | 'remove-contestant' | 'retune-contestant' }
>;
/** The commands the session itself takes (the server writes and reads checkpoint files). */
type RunCommand = Exclude<Command, ContestantCommand | { type: 'checkpoint' | 'restore' }>;

// The protocol's source names are the catalogue's (a cross-package test keeps them so).
function specFor(name: SourceName, seed: number): SourceSpec {
  const source = findSource(name);
  if (source === undefined) throw new Error(`no source named ${JSON.stringify(name)}`);
  return source.spec(seed);
}

/** The true parameters at sample `position`, intercept first. */
function truthOf(spec: SourceSpec, position: number): number[] | null {
  return trueParams(spec, position);
}

let options: TrainerOptions;
// Samples per second now (null: flat out): the start option until a set-rate changes it,
// and kept when a new session starts (after a divergence, on restore).
let rate: number | null = null;
// Set when the run stopped by itself (a non-finite gradient or parameter): training is
// paused until a command restarts it, and the state says why.
let diverged: Diverged | null = null;
// Samples drawn by earlier runs (a restart after divergence begins a new session).
let sampleOffset = 0;
// The last parameters reported, all finite: shown if the live ones are not.
let reportedParams: number[] = [0, 0];
let sourceName: SourceName = 'seed';
let spec: SourceSpec;
const control = new Subject<SessionCommand>();
let subscription: Subscription | undefined;
let config: SessionConfig | undefined;
let params: Float64Array = new Float64Array(2);
let step = 0;
let samples = 0;
let loss: number | null = null;
let lossEma: number | null = null;
let sourceStart = 0;
// The race beside the primary contestant: offered every sample before the primary learns it.
const contestants = new Contestants(modelFor('linear', 1), () => state('contestant-diverged'));
// Set while a checkpoint's session is being subscribed: its run-start keeps the restored race.
let restoring = false;
// The scatter's samples since the last params-update, thinned as they are drawn.
const thinner = new SampleThinner();
// The sample count of the last params-update: none is sent when nothing is new.
let reportedSamples = -1;
let lastEvent: SessionEvent | undefined;
let rateSamples = 0;
let rateTime = performance.now();
let samplesPerSecond = 0;
let reportTimer: ReturnType<typeof setInterval> | undefined;
// The last checkpoint of a healthy session: what a diverged run saves, since its
// session is gone and its live parameters may be non-finite.
let lastGood: Pick<
  DashboardCheckpoint,
  'session' | 'source' | 'sampleOffset' | 'sourceStart' | 'contestants'
> | null = null;

function onSample(sample: Sample): void {
  thinner.offer(sample.x[0]!, sample.y);
  contestants.learn(sample, samples + 1);
}

function toConfig(c: SessionConfig): Config {
  return {
    source: sourceName,
    model: c.model,
    features: c.features,
    optimizer: c.optimizer,
    lr: c.lr,
    batchSize: c.batchSize,
    rate: c.rate,
    paused: c.paused,
    contestants: contestants.configs(),
  };
}

/** The run's state as a `state-changed` frame. */
function stateFrame(reason: StateChanged['reason']): Unstamped<StateChanged> | undefined {
  if (!config) return undefined;
  return {
    type: 'state-changed',
    reason,
    config: toConfig(config),
    truth: truthOf(spec, samples - sourceStart),
    params: Array.from(params),
    step,
    samples,
    diverged,
    contestants: contestants.statuses(samples),
  };
}

function state(reason: StateChanged['reason']): void {
  const frame = stateFrame(reason);
  if (frame) post(frame);
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

function onEvent(event: SessionEvent): void {
  lastEvent = event;
  switch (event.type) {
    case 'params-update':
      if (!allFinite(event.params)) {
        step = event.step;
        samples = event.samples + sampleOffset;
        diverge(
          'ADAMFLOW_ERR_NON_FINITE_PARAMS',
          `a parameter became non-finite at step ${event.step}; the learning rate is too large for this optimizer and source`,
        );
        return;
      }
      params = event.params;
      step = event.step;
      samples = event.samples + sampleOffset;
      loss = Number.isFinite(event.loss) ? event.loss : null;
      lossEma = Number.isFinite(event.metrics.lossEma) ? event.metrics.lossEma : null;
      return;
    case 'run-start':
    case 'source-changed':
      config = event.config;
      params = Float64Array.from(event.params);
      step = event.step;
      samples = event.samples + sampleOffset;
      // A new session or source: the race starts over on its model.
      if (!restoring) {
        contestants.restart(modelFor(event.config.source.kind, event.config.features));
      }
      return;
    case 'run-reset':
      params = Float64Array.from(event.params);
      step = 0;
      loss = null;
      lossEma = null;
      contestants.restart();
      return;
    case 'run-paused':
    case 'run-resumed':
      if (config) config = { ...config, paused: event.type === 'run-paused' };
      return;
    case 'lr-changed':
      if (config) config = { ...config, lr: event.lr };
      return;
    case 'optimizer-changed':
      if (config) config = { ...config, optimizer: event.optimizer, lr: event.lr };
      return;
    case 'rate-changed':
      rate = event.rate;
      if (config) config = { ...config, rate: event.rate };
      return;
    default:
      return;
  }
}

/** Stops the run where it is: paused, with the reason in the state, until a command restarts it. */
function diverge(code: string, message: string): void {
  subscription?.unsubscribe();
  subscription = undefined;
  if (!allFinite(params)) params = Float64Array.from(reportedParams);
  if (!(lossEma === null || Number.isFinite(lossEma))) lossEma = null;
  diverged = {
    code,
    message: message.length <= 300 ? message : `${message.slice(0, 299)}…`,
    step,
    samples,
  };
  if (config) config = { ...config, paused: true };
  thinner.take();
  state('diverged');
}

/** What a new run starts with. */
interface RunSettings {
  source: SourceName;
  optimizer: SessionConfig['optimizer'];
  lr: number;
}

/** Starts a fresh session (initial parameters); the sample count goes on. */
function startRun(settings: RunSettings): void {
  subscription?.unsubscribe();
  diverged = null;
  sampleOffset = samples;
  sourceStart = samples;
  sourceName = settings.source;
  spec = specFor(settings.source, options.seed);
  subscribe({ source: spec, optimizer: settings.optimizer, lr: settings.lr });
}

/**
 * Continues the run a checkpoint saved, bitwise where it stopped; throws (and changes
 * nothing) if the checkpoint does not fit this server: another seed or source, or a
 * session state that trainSession refuses.
 */
function restoreRun(from: DashboardCheckpoint): void {
  const names: readonly string[] = sourceNames;
  if (from.seed !== options.seed) {
    throw new Error(`it was made with seed ${from.seed}, this server uses ${options.seed}`);
  }
  if (!names.includes(from.source)) throw new Error("its source is not one of this server's");
  const restoredSpec = specFor(from.source, options.seed);
  // The saved generator must be this source's, not an arbitrary (perhaps huge) spec.
  const generator = createGenerator(resolveSpec(restoredSpec));
  if (JSON.stringify(from.session.generator.spec) !== JSON.stringify(generator.spec)) {
    throw new Error(`its generator is not the ${from.source} source's`);
  }
  // The race first: it is rebuilt before anything changes, so a refused one changes nothing.
  if (from.contestants) {
    contestants.load(from.contestants, modelFor(restoredSpec.kind, generator.features));
  }
  // Set before subscribing: run-start counts samples from the offset. If the session
  // refuses the checkpoint, the fresh run that follows sets them again.
  sampleOffset = from.sampleOffset;
  sourceStart = from.sourceStart;
  sourceName = from.source;
  spec = restoredSpec;
  restoring = true;
  try {
    subscribe({ from: from.session, paused: from.paused || from.diverged !== null });
  } finally {
    restoring = false;
  }
  lastGood = null;
  capture();
  diverged = from.diverged;
}

/** Subscribes a new session with the worker's fixed options; throws if `run` is invalid. */
function subscribe(
  run: Pick<TrainSessionOptions, 'source' | 'optimizer' | 'lr' | 'from' | 'paused'>,
): void {
  // Throws before anything is touched if the options (or the checkpoint) are invalid.
  const session = trainSession({
    ...run,
    ...(rate === null ? {} : { rate }),
    control,
    output: 'view',
    onSample,
  });
  subscription?.unsubscribe();
  subscription = session.subscribe({
    next: onEvent,
    error: (error: unknown) => {
      const code = (error as { code?: unknown } | null)?.code;
      diverge(
        typeof code === 'string' ? code : 'ADAMFLOW_ERR_TRAINER_FAILED',
        `${String((error as Error)?.message ?? error)} (at step ${step})`,
      );
    },
  });
  if (!run.from) capture();
}

/** Takes the session's checkpoint now, if it is healthy, as the last good one. */
function capture(): void {
  if (diverged || !subscription) return;
  lastEvent = undefined;
  control.next({ type: 'checkpoint' });
  const event = lastEvent as SessionEvent | undefined;
  if (event?.type === 'checkpoint-created') {
    lastGood = {
      session: event.checkpoint,
      source: sourceName,
      sampleOffset,
      sourceStart,
      contestants: contestants.state(),
    };
  }
}

/** The run as it stands, for the server to write to disk; null before any session. */
function checkpoint(): DashboardCheckpoint | null {
  capture();
  if (!lastGood) return null;
  return {
    format: 'adamflow.dashboard-checkpoint',
    version: 1,
    seed: options.seed,
    ...lastGood,
    paused: config?.paused ?? false,
    diverged,
  };
}

/** A command while diverged: the setting commands restart the run; pause and resume cannot. */
function commandWhileDiverged(id: number, command: RunCommand): void {
  const current = config;
  if (command.type === 'set-rate' && current) {
    // The pace does not cure a divergence: kept for the restart, the run stays stopped.
    rate = command.rate;
    config = { ...current, rate };
    post({ type: 'command-result', id, ok: true, message: null });
    state('set-rate');
    return;
  }
  if (command.type === 'pause' || command.type === 'resume' || !current || !diverged) {
    post({
      type: 'command-result',
      id,
      ok: false,
      message: `the run diverged (${diverged?.message ?? 'stopped'}); send reset, set-lr, set-optimizer or set-source to restart it`,
    });
    return;
  }
  startRun({
    source: command.type === 'set-source' ? command.source : sourceName,
    optimizer: command.type === 'set-optimizer' ? command.optimizer : current.optimizer,
    lr:
      command.type === 'set-lr'
        ? command.lr
        : command.type === 'set-optimizer'
          ? (command.lr ?? current.lr)
          : current.lr,
  });
  thinner.take();
  post({ type: 'command-result', id, ok: true, message: null });
  state(command.type);
}

function report(): void {
  const now = performance.now();
  const elapsed = now - rateTime;
  if (elapsed >= 250) {
    const current = (samples - rateSamples) / (elapsed / 1000);
    samplesPerSecond = samplesPerSecond === 0 ? current : 0.5 * samplesPerSecond + 0.5 * current;
    rateSamples = samples;
    rateTime = now;
  }
  // Nothing new (paused, or diverged): nothing to send; the server's heartbeat goes on.
  if (samples === reportedSamples && thinner.size === 0) return;
  reportedSamples = samples;
  const reported = Array.from(params);
  if (allFinite(reported)) reportedParams = reported;
  const statuses = contestants.statuses(samples);
  post({
    type: 'params-update',
    step,
    samples,
    params: reportedParams,
    loss,
    lossEma,
    samplesPerSecond: config?.paused ? 0 : samplesPerSecond,
    truth: truthOf(spec, samples - sourceStart),
    recent: thinner.take(),
    contestants: statuses,
  });
}

function isContestantCommand(command: Command): command is ContestantCommand {
  return (
    command.type === 'add-contestant' ||
    command.type === 'remove-contestant' ||
    command.type === 'retune-contestant'
  );
}

/** Applies a race command between two samples; the run goes on (or stays paused) as it was. */
function contestantCommand(id: number, command: ContestantCommand): void {
  if (command.type !== 'add-contestant' && command.contestant === PRIMARY_CONTESTANT) {
    primaryCommand(id, command);
    return;
  }
  try {
    switch (command.type) {
      case 'add-contestant':
        contestants.add({
          optimizer: command.optimizer,
          ...(command.options ? { options: command.options } : {}),
          ...(command.name ? { name: command.name } : {}),
        });
        break;
      case 'remove-contestant':
        contestants.remove(command.contestant);
        break;
      case 'retune-contestant':
        contestants.retune(command.contestant, command.options);
        break;
    }
  } catch (error) {
    const text = String((error as Error)?.message ?? error);
    post({ type: 'command-result', id, ok: false, message: text.slice(0, 240) });
    return;
  }
  post({ type: 'command-result', id, ok: true, message: null });
  state(command.type);
}

/** The primary contestant is the run: it is retuned through set-lr and never removed. */
function primaryCommand(
  id: number,
  command: Extract<ContestantCommand, { contestant: string }>,
): void {
  const { lr, ...others } = command.type === 'retune-contestant' ? command.options : {};
  const refusal =
    command.type === 'remove-contestant'
      ? "the primary contestant is the run's own optimizer: change it with set-optimizer, it cannot be removed"
      : lr === undefined || Object.values(others).some((value) => value !== undefined)
        ? 'the primary contestant is retuned by lr alone; change its optimizer with set-optimizer'
        : null;
  if (refusal !== null || lr === undefined) {
    post({ type: 'command-result', id, ok: false, message: refusal });
    return;
  }
  onMessage({ type: 'command', id, command: { type: 'set-lr', lr } });
}

function toSessionCommand(command: RunCommand): SessionCommand {
  switch (command.type) {
    case 'pause':
    case 'resume':
    case 'reset':
      return { type: command.type };
    case 'set-lr':
      return { type: 'set-lr', lr: command.lr };
    case 'set-optimizer':
      // Keeps the current learning rate unless the command names one.
      return {
        type: 'set-optimizer',
        optimizer: command.optimizer,
        lr: command.lr ?? config?.lr ?? options.lr,
      };
    case 'set-source':
      return { type: 'set-source', source: specFor(command.source, options.seed) };
    case 'set-rate':
      return { type: 'set-rate', rate: command.rate };
  }
}

/** Goes back to a checkpoint on command; one that does not fit leaves the run as it was. */
function restoreCommand(id: number, from: DashboardCheckpoint): void {
  const before = { sampleOffset, sourceStart, sourceName, spec };
  try {
    restoreRun(from);
  } catch (error) {
    ({ sampleOffset, sourceStart, sourceName, spec } = before);
    const text = String((error as Error)?.message ?? error).slice(0, 200);
    post({
      type: 'command-result',
      id,
      ok: false,
      message: `the checkpoint does not fit: ${text}`,
    });
    return;
  }
  loss = null;
  lossEma = null;
  // The samples drawn so far belong to the run left behind.
  thinner.take();
  // The sample count went back: the rate is measured afresh from here.
  rateSamples = samples;
  rateTime = performance.now();
  post({ type: 'command-result', id, ok: true, message: null });
  state('restore');
}

port.on('message', onMessage);

function onMessage(message: ToTrainer): void {
  switch (message.type) {
    case 'start': {
      options = message.options;
      rate = options.rate;
      if (message.from) {
        try {
          restoreRun(message.from);
        } catch (error) {
          const text = String((error as Error)?.message ?? error);
          post({ type: 'restore-failed', message: text.slice(0, 200) });
        }
      }
      if (!subscription) startRun({ source: 'seed', optimizer: 'adam', lr: options.lr });
      // The first state: the server's view starts from it (as after a reset).
      const first = stateFrame('reset');
      if (first) post({ type: 'started', state: first });
      reportTimer = setInterval(report, options.reportMs);
      return;
    }
    case 'command': {
      const { id, command } = message;
      if (command.type === 'checkpoint' || command.type === 'restore') {
        const text = `${command.type} is carried out by the server (it has the file), not the trainer`;
        post({ type: 'command-result', id, ok: false, message: text });
        return;
      }
      if (isContestantCommand(command)) {
        contestantCommand(id, command);
        return;
      }
      if (diverged) {
        commandWhileDiverged(id, command);
        return;
      }
      lastEvent = undefined;
      const previousSource = sourceName;
      if (command.type === 'set-source') sourceName = command.source;
      control.next(toSessionCommand(command));
      const event = lastEvent as SessionEvent | undefined;
      if (!event || event.type === 'command-rejected') {
        sourceName = previousSource;
        post({
          type: 'command-result',
          id,
          ok: false,
          message: event?.type === 'command-rejected' ? event.message : 'no effect',
        });
        return;
      }
      if (command.type === 'set-source') {
        spec = (event.type === 'source-changed' ? event.config.source : spec) as SourceSpec;
        sourceStart = samples;
        thinner.take();
      }
      post({ type: 'command-result', id, ok: true, message: null });
      state(command.type);
      return;
    }
    case 'checkpoint':
      post({ type: 'checkpoint-result', id: message.id, checkpoint: checkpoint() });
      return;
    case 'restore':
      restoreCommand(message.id, message.from);
      return;
    case 'stop':
      if (reportTimer) clearInterval(reportTimer);
      subscription?.unsubscribe();
      port.close();
      return;
  }
}
