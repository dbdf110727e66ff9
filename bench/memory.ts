import { readFileSync, writeFileSync } from 'node:fs';

/** How often VmRSS is sampled, in case the kernel refuses to reset the peak. */
const SAMPLE_MS = 50;

function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}

/** Resident memory of `pid` while something ran, in MiB. */
export interface PeakMemory {
  readonly startMiB: number;
  readonly peakMiB: number;
}

/**
 * Runs `work` and reports the peak resident set size of `pid` meanwhile: VmHWM after resetting it
 * (`echo 5 > /proc/PID/clear_refs`, Linux ≥ 4.0), and VmRSS sampled every 50 ms as a floor.
 */
export async function measurePeakMemory<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; memory: PeakMemory }> {
  const startKiB = statusKiB(pid, 'VmRSS');
  let reset = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    reset = false;
  }
  let sampledKiB = startKiB;
  const sampler = setInterval(() => {
    sampledKiB = Math.max(sampledKiB, statusKiB(pid, 'VmRSS'));
  }, SAMPLE_MS);
  try {
    const result = await work();
    const peakKiB = Math.max(sampledKiB, reset ? statusKiB(pid, 'VmHWM') : 0);
    return { result, memory: { startMiB: startKiB / 1024, peakMiB: peakKiB / 1024 } };
  } finally {
    clearInterval(sampler);
  }
}
