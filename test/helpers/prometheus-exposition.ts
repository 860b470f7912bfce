// A strict reader of the Prometheus text exposition format (version 0.0.4), written from the
// format's rules: every line is a HELP, a TYPE, another comment, blank, or a sample; names and label
// names match their patterns; label values use only the three escapes; a family's HELP and TYPE
// come once, before its samples, which are grouped; values are Go floats (+Inf, -Inf, NaN).
// Counters end in _total, and histograms have cumulative buckets ending at le="+Inf" equal to _count.

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:Inf|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  help?: string;
  type?: string;
  readonly samples: Sample[];
}

export interface Exposition {
  readonly families: ReadonlyMap<string, Family>;
  /** The value of the series `name` with exactly `labels`, or undefined. */
  value(name: string, labels?: Readonly<Record<string, string>>): number | undefined;
}

export function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const families = new Map<string, Family>();
  const series = new Map<string, number>();
  const closed = new Set<string>();
  let current: string | undefined;
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, index) => {
    const where = `line ${index + 1} (${JSON.stringify(line)})`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (match === null) return; // another comment
      const [, keyword, name, rest] = match as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name`);
      const family = familyOf(families, name);
      if (closed.has(name) || (current !== undefined && current !== name && family.samples.length > 0))
        throw new Error(`${where}: ${keyword} after the family's samples`);
      if (keyword === 'HELP') {
        if (family.help !== undefined) throw new Error(`${where}: second HELP`);
        unescapeText(rest, false, where);
        family.help = rest;
      } else {
        if (family.type !== undefined) throw new Error(`${where}: second TYPE`);
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type`);
        family.type = rest;
      }
      if (current !== undefined && current !== name) closed.add(current);
      current = name;
      return;
    }
    const sample = parseSample(line, where);
    const base = baseName(sample.name, families);
    if (base !== current) {
      if (current !== undefined) closed.add(current);
      if (closed.has(base)) throw new Error(`${where}: samples of ${base} are not grouped`);
      current = base;
    }
    const family = familyOf(families, base);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (series.has(key)) throw new Error(`${where}: duplicate series`);
    series.set(key, sample.value);
    family.samples.push(sample);
  });
  for (const family of families.values()) checkFamily(family);
  return {
    families,
    value: (name, labels = {}) => series.get(`${name}${JSON.stringify(Object.entries(labels).sort())}`),
  };
}

function familyOf(families: Map<string, Family>, name: string): Family {
  let family = families.get(name);
  if (family === undefined) {
    family = { name, samples: [] };
    families.set(name, family);
  }
  return family;
}

/** A histogram's or summary's sample belongs to the family without its suffix. */
function baseName(name: string, families: Map<string, Family>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const type = families.get(base)?.type;
    if (type === 'histogram' || type === 'summary') return base;
  }
  return name;
}

function parseSample(line: string, where: string): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (nameMatch === null) throw new Error(`${where}: no metric name`);
  const name = nameMatch[0];
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const label = /^([^=]*)="/.exec(rest);
      if (label === null) throw new Error(`${where}: bad label`);
      const labelName = label[1] as string;
      if (!LABEL_NAME.test(labelName)) throw new Error(`${where}: bad label name ${labelName}`);
      if (labelName in labels) throw new Error(`${where}: label ${labelName} twice`);
      rest = rest.slice(label[0].length);
      let raw = '';
      for (;;) {
        const char = rest[0];
        if (char === undefined) throw new Error(`${where}: unterminated label value`);
        if (char === '"') break;
        if (char === '\\') {
          raw += rest.slice(0, 2);
          rest = rest.slice(2);
        } else {
          raw += char;
          rest = rest.slice(1);
        }
      }
      labels[labelName] = unescapeText(raw, true, where);
      rest = rest.slice(1);
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) throw new Error(`${where}: expected , or } after a label`);
    }
    rest = rest.slice(1);
  }
  const parts = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
  if (parts === null) throw new Error(`${where}: expected ' value [timestamp]'`);
  const text = parts[1] as string;
  if (!FLOAT.test(text)) throw new Error(`${where}: bad value ${text}`);
  const value = text.endsWith('Inf') ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text);
  return { name, labels, value };
}

/** Label values may escape \\, \" and \n; HELP text \\ and \n. Anything else after \ is an error. */
function unescapeText(raw: string, labelValue: boolean, where: string): string {
  return raw.replace(/\\(.?)/g, (_, char: string) => {
    if (char === '\\') return '\\';
    if (char === 'n') return '\n';
    if (char === '"' && labelValue) return '"';
    throw new Error(`${where}: bad escape \\${char}`);
  });
}

function checkFamily(family: Family): void {
  if (family.type === 'counter' && !family.name.endsWith('_total'))
    throw new Error(`counter ${family.name} does not end in _total`);
  if (family.type === 'counter') {
    for (const sample of family.samples)
      if (!(sample.value >= 0)) throw new Error(`counter ${family.name} is negative or NaN`);
  }
  if (family.type !== 'histogram') return;
  const buckets = family.samples.filter((sample) => sample.name === `${family.name}_bucket`);
  let last = -1;
  for (const bucket of buckets) {
    if (bucket.labels.le === undefined) throw new Error(`${family.name}: a bucket without le`);
    if (bucket.value < last) throw new Error(`${family.name}: buckets are not cumulative`);
    last = bucket.value;
  }
  const count = family.samples.find((sample) => sample.name === `${family.name}_count`);
  if (buckets.at(-1)?.labels.le !== '+Inf') throw new Error(`${family.name}: no le="+Inf" bucket last`);
  if (count === undefined || buckets.at(-1)?.value !== count.value)
    throw new Error(`${family.name}: the +Inf bucket is not _count`);
  if (!family.samples.some((sample) => sample.name === `${family.name}_sum`))
    throw new Error(`${family.name}: no _sum`);
}
