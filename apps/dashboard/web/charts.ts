import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const AXIS = {
  stroke: '#8d99b8',
  grid: { stroke: 'rgba(141,153,184,0.12)', width: 1 },
  ticks: { stroke: 'rgba(141,153,184,0.25)' },
};
const A = '#ff5c7a';
const B = '#4cc9f0';
const PALETTE = [A, B, '#ffb703', '#3ddc97', '#b388ff', '#f78c6b'];

function size(element: HTMLElement, height: number): { width: number; height: number } {
  return { width: Math.max(280, element.clientWidth), height };
}

/** The seed's picture, live: recent samples, the fitted line, the true line. */
export function scatterChart(element: HTMLElement): uPlot {
  const opts: uPlot.Options = {
    ...size(element, 470),
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
    ],
  };
  return new uPlot(opts, [[], [], [], []], element);
}

/** Loss per step: raw (faint) and smoothed, on a log scale. */
export function lossChart(element: HTMLElement): uPlot {
  const opts: uPlot.Options = {
    ...size(element, 210),
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [
      { ...AXIS, label: 'step', labelSize: 18 },
      {
        ...AXIS,
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
    ],
  };
  return new uPlot(opts, [[], [], []], element);
}

/** Parameter trajectories, each with its true value as a dashed line. */
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
  const opts: uPlot.Options = {
    ...size(element, 210),
    scales: { x: { time: false } },
    axes: [{ ...AXIS, label: 'step', labelSize: 18 }, { ...AXIS }],
    legend: { show: false },
    cursor: { show: false },
    series,
  };
  return new uPlot(opts, series.map(() => []) as unknown as uPlot.AlignedData, element);
}

/** Keeps a chart as wide as its container. */
export function fitWidth(chart: uPlot, element: HTMLElement): void {
  new ResizeObserver(() =>
    chart.setSize({ width: Math.max(280, element.clientWidth), height: chart.height }),
  ).observe(element);
}
