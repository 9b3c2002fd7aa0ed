// The race on the page: a live leaderboard by rolling loss, a form to enter a
// contestant (optimizer + learning rate), per-row retune and remove, and the preset
// that races the classics. Plain DOM with native controls, so every one is labelled and
// reachable by keyboard; rows are kept by id and only their text changes between
// frames, so a control never loses focus to a redraw.
import {
  type Command,
  type ContestantConfig,
  leaderboardOf,
  MAX_CONTESTANTS,
  OPTIMIZERS,
  PRIMARY_CONTESTANT,
  type SessionView,
  type Standing,
} from '@adamflow/protocol';
import { CONTESTANT_COLOURS } from './race-colours.js';
import './race.css';

/** What the panel needs from the page: a way to send commands (the page adds the token). */
export interface RacePanelHost {
  send(command: Command): void;
}

/** Names people know the optimizers by. */
export const OPTIMIZER_LABELS: Record<(typeof OPTIMIZERS)[number], string> = {
  adam: 'Adam',
  adamw: 'AdamW',
  amsgrad: 'AMSGrad',
  sgd: 'SGD',
  rmsprop: 'RMSProp',
  adamax: 'Adamax',
  nadam: 'NAdam',
  radam: 'RAdam',
  adagrad: 'AdaGrad',
  adadelta: 'Adadelta',
};

// The tutorial's comparison at one shared learning rate, on the seed line: within a few
// seconds at the default 1000 samples/s, momentum alone overshoots and oscillates,
// AdaGrad's ever-growing denominator crawls, plain SGD lags, RMSProp keeps up but
// jitters, and Adam (momentum and RMSProp together) leads. Simulated with the stream's
// Race on linearSpec({ seed: 42 }): rolling loss after 1000 samples Adam 1.21, RMSProp
// 1.24, SGD 1.36, SGD + momentum 5.9, AdaGrad 8.1 (the noise floor is 1).
const CLASSICS_LR = 0.05;
const CLASSICS: Extract<Command, { type: 'add-contestant' }>[] = [
  {
    type: 'add-contestant',
    optimizer: 'sgd',
    options: { lr: CLASSICS_LR, momentum: 0 },
    name: 'SGD',
  },
  {
    type: 'add-contestant',
    optimizer: 'sgd',
    options: { lr: CLASSICS_LR, momentum: 0.9 },
    name: 'SGD + momentum',
  },
  { type: 'add-contestant', optimizer: 'rmsprop', options: { lr: CLASSICS_LR }, name: 'RMSProp' },
  { type: 'add-contestant', optimizer: 'adagrad', options: { lr: CLASSICS_LR }, name: 'AdaGrad' },
];

/**
 * The commands that set up the classic race from `view`: Adam as the primary
 * contestant, every other contestant replaced by SGD, SGD with momentum, RMSProp and
 * AdaGrad at the same learning rate, on the seed line, all started together by a reset.
 *
 * @param view - the session as the page holds it.
 * @returns the commands, in the order to send them.
 * @example
 * ```ts
 * for (const command of classicsCommands(view)) send(command);
 * ```
 */
export function classicsCommands(view: SessionView): Command[] {
  const commands: Command[] = [];
  if (view.config?.source !== 'seed') commands.push({ type: 'set-source', source: 'seed' });
  commands.push({ type: 'set-optimizer', optimizer: 'adam', lr: CLASSICS_LR });
  for (const contestant of view.config?.contestants ?? []) {
    commands.push({ type: 'remove-contestant', contestant: contestant.id });
  }
  commands.push(...CLASSICS, { type: 'reset' });
  return commands;
}

/**
 * Builds the race panel in `container` and returns its update function.
 *
 * @param container - an empty element the panel fills.
 * @param host - {@link RacePanelHost}.
 * @returns `update(view)`, to call when the view changed (at most once per frame).
 * @example
 * ```ts
 * const panel = racePanel(document.getElementById('race')!, { send: (c) => client.send(c) });
 * panel.update(view);
 * ```
 */
export function racePanel(
  container: HTMLElement,
  host: RacePanelHost,
): { update(view: SessionView): void } {
  container.classList.add('race');
  container.innerHTML = `
    <div class="card-head">
      <h2 id="race-title">Optimizer race</h2>
      <button type="button" id="race-classics" class="primary">Race the classics</button>
    </div>
    <p class="race-note">Every contestant learns from the same samples in the same order;
      ranked by rolling loss (the noise floor is about 1).</p>
    <div class="table-scroll"><table class="leaderboard" aria-labelledby="race-title">
      <thead><tr>
        <th scope="col">#</th><th scope="col">contestant</th><th scope="col">rolling loss</th>
        <th scope="col">parameters</th><th scope="col">steps</th><th scope="col">tune</th>
      </tr></thead>
      <tbody id="leaderboard"></tbody>
    </table></div>
    <form class="race-add" id="race-add">
      <label class="field"><span>optimizer</span>
        <select id="race-optimizer" aria-label="optimizer of the new contestant">
          ${OPTIMIZERS.map((name) => `<option value="${name}">${OPTIMIZER_LABELS[name]}</option>`).join('')}
        </select>
      </label>
      <label class="field"><span>learning rate</span>
        <input id="race-lr" type="number" min="0.0001" max="10" step="any" value="0.01"
          inputmode="decimal" aria-label="learning rate of the new contestant" />
      </label>
      <button type="submit" id="race-add-button">Add contestant</button>
    </form>`;
  const body = container.querySelector<HTMLTableSectionElement>('#leaderboard')!;
  const form = container.querySelector<HTMLFormElement>('#race-add')!;
  const addButton = container.querySelector<HTMLButtonElement>('#race-add-button')!;
  const rows = new Map<string, Row>();
  let current: SessionView | undefined;

  container.querySelector('#race-classics')!.addEventListener('click', () => {
    if (current) for (const command of classicsCommands(current)) host.send(command);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const optimizer = form.querySelector<HTMLSelectElement>('#race-optimizer')!
      .value as (typeof OPTIMIZERS)[number];
    const lr = Number(form.querySelector<HTMLInputElement>('#race-lr')!.value);
    host.send({
      type: 'add-contestant',
      optimizer,
      ...(Number.isFinite(lr) && lr > 0 ? { options: { lr } } : {}),
      name: OPTIMIZER_LABELS[optimizer],
    });
  });

  function update(view: SessionView): void {
    current = view;
    const board = leaderboardOf(view);
    const seen = new Set<string>();
    for (const standing of board) {
      seen.add(standing.id);
      let row = rows.get(standing.id);
      if (!row) {
        row = makeRow(standing, host);
        rows.set(standing.id, row);
      }
      row.show(standing);
    }
    for (const [id, row] of rows) {
      if (seen.has(id)) continue;
      // A row that goes while it holds the focus hands it on, not to the page's body.
      const hadFocus = row.element.contains(document.activeElement);
      row.element.remove();
      rows.delete(id);
      if (hadFocus) form.querySelector<HTMLElement>('#race-optimizer')!.focus();
    }
    // Rows in rank order; but a row is never moved while a control in the table has the
    // focus (moving a node drops it), so the ranks settle once the focus leaves.
    const focused = body.contains(document.activeElement);
    board.forEach((standing, i) => {
      const element = rows.get(standing.id)!.element;
      if (element.parentNode !== body) body.appendChild(element);
      else if (!focused && body.children[i] !== element) {
        body.insertBefore(element, body.children[i] ?? null);
      }
    });
    const full = board.length >= MAX_CONTESTANTS;
    addButton.disabled = full || !view.config;
    addButton.title = full ? `at most ${MAX_CONTESTANTS} contestants: remove one first` : '';
  }

  return { update };
}

/** One leaderboard row: its element and how to show a standing in it. */
interface Row {
  element: HTMLTableRowElement;
  show(standing: Standing): void;
}

function makeRow(first: Standing, host: RacePanelHost): Row {
  const element = document.createElement('tr');
  element.dataset['contestant'] = first.id;
  const primary = first.id === PRIMARY_CONTESTANT;
  element.innerHTML = `
    <td class="rank"></td>
    <th scope="row" class="who"><i class="swatch" aria-hidden="true"></i><span class="name"></span>
      <span class="how"></span></th>
    <td class="loss"></td>
    <td class="params"></td>
    <td class="steps"></td>
    <td class="tune">
      <input type="number" min="0.0001" max="10" step="any" inputmode="decimal" class="retune-lr" />
      <button type="button" class="retune">Retune</button>
      ${primary ? '' : '<button type="button" class="remove">Remove</button>'}
    </td>`;
  const cell = (selector: string) => element.querySelector<HTMLElement>(selector)!;
  const lrInput = element.querySelector<HTMLInputElement>('.retune-lr')!;
  const retune = element.querySelector<HTMLButtonElement>('.retune')!;
  const remove = element.querySelector<HTMLButtonElement>('.remove');
  let standing = first;
  const sendRetune = () => {
    const lr = Number(lrInput.value);
    if (!(Number.isFinite(lr) && lr > 0 && lr <= 10)) {
      lrInput.setCustomValidity('a learning rate in (0, 10]');
      lrInput.reportValidity();
      return;
    }
    lrInput.setCustomValidity('');
    host.send({ type: 'retune-contestant', contestant: standing.id, options: { lr } });
  };
  retune.addEventListener('click', sendRetune);
  lrInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') sendRetune();
  });
  remove?.addEventListener('click', () =>
    host.send({ type: 'remove-contestant', contestant: standing.id }),
  );
  let shownLr: number | undefined;
  return {
    element,
    show(next) {
      standing = next;
      element.dataset['rank'] = String(next.rank);
      element.classList.toggle('diverged', next.diverged !== null);
      cell('.rank').textContent = String(next.rank);
      cell('.swatch').style.background = CONTESTANT_COLOURS[next.colour] ?? '#888';
      cell('.name').textContent =
        next.name === next.optimizer ? OPTIMIZER_LABELS[next.optimizer] : next.name;
      cell('.how').textContent = describe(next);
      cell('.loss').textContent = next.diverged
        ? 'diverged'
        : next.lossEma === null
          ? '–'
          : next.lossEma.toPrecision(4);
      cell('.params').textContent = next.params.map((p) => p.toFixed(2)).join(', ');
      cell('.steps').textContent = next.steps.toLocaleString('en');
      const label = cell('.name').textContent ?? next.id;
      lrInput.setAttribute('aria-label', `learning rate for ${label}`);
      retune.setAttribute('aria-label', `Retune ${label}`);
      remove?.setAttribute('aria-label', `Remove ${label}`);
      // Shows the current rate unless someone is typing a new one.
      const lr = next.options.lr;
      if (lr !== undefined && lr !== shownLr && document.activeElement !== lrInput) {
        lrInput.value = String(lr);
        shownLr = lr;
      }
    },
  };
}

function describe(standing: Standing): string {
  const options = Object.entries(standing.options as ContestantConfig['options'])
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
  return `${OPTIMIZER_LABELS[standing.optimizer]}${options ? ` · ${options}` : ''}`;
}
