// A small SVG line chart over a sliding time window: one <path> per series, a filled area under the
// first one, horizontal guides with labels. Points are placed by their time, so a pause (a restart,
// nobody watching) shows as a gap instead of squeezing the line.
const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 150;
/** Space on the left for the guide labels. */
const LEFT = 66;

function element(name, attributes, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  parent?.append(node);
  return node;
}

/** 1, 2 or 5 times a power of ten, at least `value`: a round top for the scale. */
function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export class LineChart {
  /**
   * @param {HTMLElement} container
   * @param {{ series: { color: string, width?: number, area?: boolean }[], max?: number,
   *   format: (value: number) => string, windowMs: number, gapMs: number }} options
   *   `max`: a fixed top (e.g. 100 for percentages); without it the scale follows the data.
   *   `gapMs`: two points further apart than this are not joined.
   */
  constructor(container, options) {
    this.options = options;
    this.svg = element('svg', { height: HEIGHT });
    this.svg.classList.add('chart');
    container.append(this.svg);
    // Drawn in the element's own pixels (not a stretched viewBox), so text and lines keep their shape.
    this.width = 600;
    new ResizeObserver(() => {
      this.width = Math.max(LEFT + 50, this.svg.clientWidth);
      this.svg.setAttribute('viewBox', `0 0 ${this.width} ${HEIGHT}`);
      if (this.last) this.draw(...this.last);
    }).observe(this.svg);
    this.guides = element('g', { class: 'guides' }, this.svg);
    this.paths = options.series.map((series) => {
      const area = series.area
        ? element('path', { fill: series.color, 'fill-opacity': 0.15, stroke: 'none' }, this.svg)
        : undefined;
      const line = element(
        'path',
        {
          fill: 'none',
          stroke: series.color,
          'stroke-width': series.width ?? 2,
          'stroke-linejoin': 'round',
          'vector-effect': 'non-scaling-stroke',
        },
        this.svg,
      );
      return { area, line };
    });
  }

  /** Draw `points[i]` (`[{ t, v }]`, oldest first) for series i, the window ending at `now`. */
  draw(now, points) {
    this.last = [now, points];
    const { windowMs, gapMs } = this.options;
    const width = this.width;
    const start = now - windowMs;
    let top = this.options.max;
    if (top === undefined) {
      let highest = 0;
      for (const list of points) for (const point of list) if (point.v > highest) highest = point.v;
      top = niceCeiling(highest * 1.1);
    }
    const x = (t) => LEFT + ((t - start) / windowMs) * (width - LEFT);
    const y = (v) => HEIGHT - 4 - (Math.min(v, top) / top) * (HEIGHT - 14);
    this.#drawGuides(top, y);
    points.forEach((list, i) => {
      // A new segment after a hole (a restart, nobody sampling): the chart does not invent data.
      const segments = [];
      let previous;
      for (const point of list) {
        if (point.t < start - gapMs) continue;
        if (previous === undefined || point.t - previous > gapMs) segments.push([]);
        segments.at(-1).push(`${x(point.t).toFixed(1)},${y(point.v).toFixed(1)}`);
        previous = point.t;
      }
      const { area, line } = this.paths[i];
      line.setAttribute('d', segments.map((segment) => `M${segment.join('L')}`).join(''));
      if (area) {
        const bottom = (xy) => `${xy.split(',')[0]},${HEIGHT}`;
        const shapes = segments.map((s) => `M${s.join('L')}L${bottom(s.at(-1))}L${bottom(s[0])}Z`);
        area.setAttribute('d', shapes.join(''));
      }
    });
  }

  #drawGuides(top, y) {
    const width = this.width;
    this.guides.replaceChildren();
    for (const fraction of [0, 0.5, 1]) {
      const at = y(top * fraction);
      element('line', { x1: LEFT, x2: width, y1: at, y2: at }, this.guides);
      const label = element('text', { x: LEFT - 6, y: at + 4, 'text-anchor': 'end' }, this.guides);
      label.textContent = this.options.format(top * fraction);
    }
  }
}
