import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { CONTESTANT_COLOURS } from './race-colours.js';

const AXIS = {
  stroke: '#8d99b8',
  grid: { stroke: 'rgba(141,153,184,0.12)', width: 1 },
  ticks: { stroke: 'rgba(141,153,184,0.25)' },
};
const A = '#ff5c7a';
const B = '#4cc9f0';
const PALETTE = [A, B, '#ffb703', '#3ddc97', '#b388ff', '#f78c6b'];
/**
 * Series kept for the race's contestants besides the primary one, one per colour
 * (1 to 7): a chart is built once, and a slot without a contestant draws nothing.
 */
export const CONTESTANT_SLOTS = CONTESTANT_COLOURS.length - 1;

/** One line per contestant slot, in its colour. */
function contestantSeries(label: string, width: number, dash?: number[]): uPlot.Series[] {
  return Array.from({ length: CONTESTANT_SLOTS }, (_, i) => ({
    label: `${label} ${i + 1}`,
    stroke: CONTESTANT_COLOURS[i + 1]!,
    width,
    ...(dash ? { dash } : {}),
    points: { show: false },
    spanGaps: false,
  }));
}

/** A chart's height for its width: `ratio` of the width, kept between `min` and `max`. */
export interface Height {
  min: number;
  max: number;
  ratio: number;
}
const SCATTER_HEIGHT: Height = { min: 260, max: 470, ratio: 0.8 };
const STRIP_HEIGHT: Height = { min: 180, max: 210, ratio: 0.5 };

function size(element: HTMLElement, height: Height): { width: number; height: number } {
  const width = Math.max(240, element.clientWidth);
  return {
    width,
    height: Math.round(Math.min(height.max, Math.max(height.min, width * height.ratio))),
  };
}

/**
 * The powers of ten between `min` and `max`, every few decades so that there are at most
 * `most`: uPlot's own log splits add 2..9 × each decade, a band of grid lines on a narrow chart.
 */
export function decadeSplits(min: number, max: number, most = 5): number[] {
  const low = Math.ceil(Math.log10(min) - 1e-9);
  const high = Math.floor(Math.log10(max) + 1e-9);
  const stride = Math.max(1, Math.ceil((high - low + 1) / most));
  const splits: number[] = [];
  for (let exponent = low; exponent <= high; exponent += stride) {
    splits.push(Number(`1e${exponent}`));
  }
  return splits;
}

/** The seed's picture, live: recent samples, the fitted line, the true line. */
export function scatterChart(element: HTMLElement): uPlot {
  const opts: uPlot.Options = {
    ...size(element, SCATTER_HEIGHT),
    scales: { x: { time: false } },
    axes: [
      { ...AXIS, label: 'x', labelSize: 20 },
      { ...AXIS, label: 'y', labelSize: 20 },
    ],
    legend: { show: false },
    cursor: { show: false },
    series: [
      {},
      {
        label: 'samples',
        stroke: 'rgba(76,201,240,0.0)',
        paths: () => null,
        points: {
          show: true,
          size: 5,
          width: 0,
          fill: 'rgba(76,201,240,0.55)',
          stroke: 'rgba(76,201,240,0.55)',
        },
      },
      {
        label: 'true',
        stroke: 'rgba(207,214,234,0.55)',
        width: 2,
        dash: [8, 6],
        points: { show: false },
        spanGaps: true,
      },
      { label: 'fitted', stroke: A, width: 3.5, points: { show: false }, spanGaps: true },
      ...contestantSeries('contestant', 2.5).map((series) => ({ ...series, spanGaps: true })),
    ],
  };
  const data = opts.series.map(() => []) as unknown as uPlot.AlignedData;
  return fitted(new uPlot(opts, data, element), element, SCATTER_HEIGHT);
}

/** Loss per step: raw (faint) and smoothed, on a log scale. */
export function lossChart(element: HTMLElement): uPlot {
  const opts: uPlot.Options = {
    ...size(element, STRIP_HEIGHT),
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [
      { ...AXIS, label: 'step', labelSize: 18 },
      {
        ...AXIS,
        splits: (_u, _axis, min, max) => decadeSplits(min, max),
        // uPlot's default log filter labels only some decades; ours are already few.
        filter: (_u, splits) => splits,
        values: (_u, values) =>
          values.map((v) => (v == null ? '' : v >= 1 ? String(v) : v.toExponential(0))),
      },
    ],
    legend: { show: false },
    cursor: { show: false },
    series: [
      {},
      { label: 'loss', stroke: 'rgba(141,153,184,0.45)', width: 1, points: { show: false } },
      { label: 'smoothed', stroke: '#ffb703', width: 2.5, points: { show: false } },
      ...contestantSeries('smoothed', 2),
    ],
  };
  const data = opts.series.map(() => []) as unknown as uPlot.AlignedData;
  return fitted(new uPlot(opts, data, element), element, STRIP_HEIGHT);
}

/**
 * Parameter trajectories, each with its true value as a dashed line; then, per
 * contestant slot, its `count` trajectories in its colour (thinner).
 */
export function paramsChart(element: HTMLElement, count: number): uPlot {
  const series: uPlot.Series[] = [{}];
  for (let j = 0; j < count; j++) {
    const color = PALETTE[j % PALETTE.length]!;
    series.push({
      label: j === 0 ? 'intercept' : `w${j}`,
      stroke: color,
      width: 2.5,
      points: { show: false },
    });
  }
  for (let j = 0; j < count; j++) {
    const color = PALETTE[j % PALETTE.length]!;
    series.push({
      label: `true ${j}`,
      stroke: `${color}88`,
      width: 1.5,
      dash: [6, 6],
      points: { show: false },
    });
  }
  for (const slot of contestantSeries('contestant', 1.5)) {
    for (let j = 0; j < count; j++) series.push({ ...slot, label: `${slot.label} p${j}` });
  }
  const opts: uPlot.Options = {
    ...size(element, STRIP_HEIGHT),
    scales: { x: { time: false } },
    axes: [{ ...AXIS, label: 'step', labelSize: 18 }, { ...AXIS }],
    legend: { show: false },
    cursor: { show: false },
    series,
  };
  const data = series.map(() => []) as unknown as uPlot.AlignedData;
  return fitted(new uPlot(opts, data, element), element, STRIP_HEIGHT);
}

/** Keeps a chart as wide as its container, and as tall as `height` says for that width. */
function fitted(chart: uPlot, element: HTMLElement, height: Height): uPlot {
  const observer = new ResizeObserver(() => {
    // A destroyed chart (the parameters chart is rebuilt when the model changes) lets go.
    if (!chart.root.isConnected) observer.disconnect();
    else chart.setSize(size(element, height));
  });
  observer.observe(element);
  return chart;
}
