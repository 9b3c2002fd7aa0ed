/** What {@link renderSvg} draws. */
export interface PlotInput {
  x: readonly number[];
  y: readonly number[];
  /** The fitted line, `[intercept, slope]`. */
  theta: readonly [number, number] | Float64Array;
  title?: string;
}

const WIDTH = 640;
const HEIGHT = 480;
const MARGIN = { left: 60, right: 20, top: 40, bottom: 50 };

/**
 * The seed's picture as a standalone SVG: the points as a scatter, the fitted line in
 * red, axes labelled `X` and `y`, title "Linear Regression" (as the tutorial's
 * matplotlib figure). Every point is a `<circle class="point">` and the line a
 * `<line class="fit">`, so tests and tools can read them back.
 *
 * @param input - data and line.
 * @returns the SVG document text.
 * @example
 * ```ts
 * const svg = renderSvg({ x: [0, 1], y: [1, 3], theta: [1, 2] });
 * ```
 */
export function renderSvg(input: PlotInput): string {
  const { x, y } = input;
  const [b, w] = [input.theta[0]!, input.theta[1]!];
  const xMin = Math.min(0, ...x);
  const xMax = Math.max(...x);
  const lineY = [b + w * xMin, b + w * xMax];
  const yMin = Math.floor(Math.min(...y, ...lineY));
  const yMax = Math.ceil(Math.max(...y, ...lineY));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (v: number) => MARGIN.left + ((v - xMin) / (xMax - xMin)) * plotW;
  const sy = (v: number) => MARGIN.top + (1 - (v - yMin) / (yMax - yMin)) * plotH;
  const f = (v: number) => v.toFixed(2);
  const points = x
    .map(
      (xi, i) =>
        `<circle class="point" cx="${f(sx(xi))}" cy="${f(sy(y[i]!))}" r="3" fill="#1f77b4" data-x="${xi}" data-y="${y[i]}"/>`,
    )
    .join('\n    ');
  const xTicks = ticks(xMin, xMax)
    .map(
      (t) =>
        `<g><line x1="${f(sx(t))}" x2="${f(sx(t))}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" stroke="#000"/><text x="${f(sx(t))}" y="${MARGIN.top + plotH + 20}" text-anchor="middle">${t}</text></g>`,
    )
    .join('');
  const yTicks = ticks(yMin, yMax)
    .map(
      (t) =>
        `<g><line x1="${MARGIN.left - 5}" x2="${MARGIN.left}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="#000"/><text x="${MARGIN.left - 8}" y="${f(sy(t) + 4)}" text-anchor="end">${t}</text></g>`,
    )
    .join('');
  const title = escapeXml(input.title ?? 'Linear Regression');
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">
  <title>${title}</title>
  <rect width="100%" height="100%" fill="#fff"/>
  <text class="title" x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="16">${title}</text>
  <rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#000"/>
  ${xTicks}${yTicks}
  <text class="x-label" x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">X</text>
  <text class="y-label" x="16" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotH / 2})">y</text>
  <g class="points">
    ${points}
  </g>
  <line class="fit" x1="${f(sx(xMin))}" y1="${f(sy(lineY[0]!))}" x2="${f(sx(xMax))}" y2="${f(sy(lineY[1]!))}" stroke="red" stroke-width="2" data-intercept="${b}" data-slope="${w}"/>
</svg>
`;
}

function ticks(min: number, max: number): number[] {
  const step = niceStep((max - min) / 6);
  const out: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + 1e-9; t += step) {
    out.push(Number(t.toFixed(10)));
  }
  return out;
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
