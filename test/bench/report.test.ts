import { expect } from 'chai';
import { parseWrkOutput, type LoadResult } from '../../bench/load.js';
import { formatTable, median, summarize, type Measurement } from '../../bench/report.js';

const WRK_OUTPUT = `Running 1s test @ http://127.0.0.1:40419/api/v1/products/123
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.64ms    2.16ms  21.91ms   89.14%
    Req/Sec     4.61k     2.53k    9.52k    80.00%
  Latency Distribution
     50%  678.00us
     75%    1.76ms
     90%    4.07ms
     99%    1.02s
  4585 requests in 1.00s, 0.87MB read
  Socket errors: connect 0, read 2, write 1, timeout 3
  Non-2xx or 3xx responses: 12
Requests/sec:   4582.05
Transfer/sec:      0.87MB
`;

const load = (rps: number): LoadResult => ({ rps, p50Ms: 1, p99Ms: 2, requests: rps, non2xx: 0, socketErrors: 0 });
const LABELS = { S1: 'GET product', S2: 'POST 1 KiB JSON' } as const;
const STREAM = { mib: 16, seconds: 0.5, startRssMiB: 60, peakRssMiB: 70 };

describe('bench report', () => {
  it('when wrk prints its --latency report, then req/s, p50, p99 (in ms, whatever the unit) and every error are read', () => {
    expect(parseWrkOutput(WRK_OUTPUT)).to.deep.equal({
      rps: 4582.05,
      p50Ms: 0.678,
      p99Ms: 1020,
      requests: 4585,
      non2xx: 12,
      socketErrors: 6,
    });
  });

  it('when the list has an even length, then the median is the mean of the middle two', () => {
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    expect(median([5, 1, 3])).to.equal(3);
  });

  it('when the machine slows down between rounds, then the ratio is taken per round before the median', () => {
    const measurements: Measurement[] = [];
    for (const [round, direct, gateway] of [
      [1, 1000, 500],
      [2, 500, 300],
      [3, 800, 200],
    ] as const) {
      for (const scenario of ['S1', 'S2'] as const) {
        measurements.push({ round, target: 'direct', scenario, load: load(direct), peakRssMiB: undefined });
        measurements.push({ round, target: 'gateway', scenario, load: load(gateway), peakRssMiB: 50 + round });
      }
    }
    const rows = summarize(measurements, LABELS, STREAM);
    const gatewayS1 = rows.find((row) => row.target === 'gateway' && row.scenario.startsWith('S1'))!;
    // Per round 0.5, 0.6, 0.25: median 0.5; the ratio of the medians would be 300 / 800.
    expect(gatewayS1.ratioToDirect).to.equal(0.5);
    expect(gatewayS1.rps).to.equal(300);
    expect(gatewayS1.peakRssMiB).to.equal(53);
    expect(rows.map((row) => `${row.target} ${row.scenario.slice(0, 2)}`)).to.deep.equal([
      'direct S1',
      'gateway S1',
      'direct S2',
      'gateway S2',
      'gateway S3',
    ]);
  });

  it('when the table is printed, then columns are two spaces apart and missing values are dashes', () => {
    const measurements: Measurement[] = (['S1', 'S2'] as const).flatMap((scenario) => [
      { round: 1, target: 'direct' as const, scenario, load: load(1000), peakRssMiB: undefined },
      { round: 1, target: 'gateway' as const, scenario, load: load(250), peakRssMiB: 80 },
    ]);
    const lines = formatTable(summarize(measurements, LABELS, STREAM)).split('\n');
    expect(lines[0]!.split(/\s{2,}/)).to.deep.equal([
      'target',
      'scenario',
      'req/s',
      'p50 ms',
      'p99 ms',
      'x direct',
      'peak RSS MiB',
      'errors',
    ]);
    expect(lines[3]!.split(/\s{2,}/)).to.deep.equal([
      'gateway',
      'S1 GET product',
      '250',
      '1.00',
      '2.00',
      '0.25',
      '80.0',
      '0',
    ]);
    expect(lines[6]!.split(/\s{2,}/)).to.deep.equal([
      'gateway',
      'S3 GET 16 MiB streamed',
      '-',
      '-',
      '-',
      '-',
      '70.0',
      '0',
    ]);
  });
});
