import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { expect } from 'chai';
import { ReplayableBody } from '../../../src/upstream/replayable-body.js';

describe('ReplayableBody', () => {
  it('when the first attempt is dropped before connecting, then the second gets every byte, the kept ones first', async () => {
    const source = new PassThrough();
    const body = new ReplayableBody(source);
    const first = body.attempt();
    source.write('hello ');
    await new Promise((resolve) => setImmediate(resolve));
    first.destroy();
    const second = body.attempt();
    source.end('world');
    expect(await text(second)).to.equal('hello world');
  });

  it('when an attempt has connected, then nothing more is kept', async () => {
    const body = new ReplayableBody(Readable.from([Buffer.from('a'), Buffer.from('b')]));
    const first = body.attempt();
    body.connected();
    expect(await text(first)).to.equal('ab');
    expect(await text(body.attempt())).to.equal('');
  });

  it('when the source fails (413), then the attempt fails with the same error', async () => {
    const source = new PassThrough();
    const body = new ReplayableBody(source);
    const attempt = body.attempt();
    const failure = new Error('too large');
    const seen = new Promise((resolve) => attempt.once('error', resolve));
    source.destroy(failure);
    expect(await seen).to.equal(failure);
  });
});
