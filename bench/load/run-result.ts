// What one run of one scenario against one server produced (run-scenario.ts, idle-run.ts), as the
// summary and the report read it.
import type { Check, Opened } from './load-job.js';

export interface RunResult {
  scenario: string;
  server: string;
  round: number;
  ok: boolean;
  metrics: Record<string, number>;
  opened?: Opened;
  check?: Check;
  error?: string;
  /** The first connection's response head (idle scenarios), e.g. to show what was negotiated. */
  responseHead?: string;
}
