/** Round-trip times in milliseconds, kept at microsecond resolution. */
export interface LatencyHistogram {
  record(milliseconds: number): void;
  /** The value at `percentile` (0-100) in milliseconds; 0 when nothing was recorded. */
  at(percentile: number): number;
  readonly max: number;
  readonly count: number;
}

/**
 * An HDR histogram from hdr-histogram-js, an optional dependency of the package (installed with it by
 * default). Only `fullduplex bench` loads it, never the library.
 */
export async function createLatencyHistogram(): Promise<LatencyHistogram> {
  let hdr: typeof import('hdr-histogram-js');
  try {
    hdr = await import('hdr-histogram-js');
  } catch (error) {
    throw new Error(
      `bench needs hdr-histogram-js, an optional dependency that is missing (npm install hdr-histogram-js): ${(error as Error).message}`,
    );
  }
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  return {
    record: (milliseconds) => histogram.recordValue(Math.max(1, Math.round(milliseconds * 1000))),
    at: (percentile) => (histogram.totalCount === 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000),
    get max() {
      return histogram.totalCount === 0 ? 0 : histogram.maxValue / 1000;
    },
    get count() {
      return histogram.totalCount;
    },
  };
}
