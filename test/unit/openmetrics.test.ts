import { expect } from 'chai';
import { wantsOpenMetrics } from '../../src/openmetrics.js';

describe('wantsOpenMetrics', () => {
  it("when the Accept header lists OpenMetrics (as Prometheus's does), then OpenMetrics is served", () => {
    expect(
      wantsOpenMetrics(
        'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      ),
    ).to.equal(true);
    expect(wantsOpenMetrics('application/openmetrics-text')).to.equal(true);
  });

  it('when the Accept header is absent, plain text, or refuses OpenMetrics with q=0, then the Prometheus text format is served', () => {
    expect(wantsOpenMetrics(undefined)).to.equal(false);
    expect(wantsOpenMetrics('text/plain;version=0.0.4')).to.equal(false);
    expect(wantsOpenMetrics('*/*')).to.equal(false);
    expect(wantsOpenMetrics('application/openmetrics-text;q=0, text/plain')).to.equal(false);
  });
});
