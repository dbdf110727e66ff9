import { expect } from 'chai';
import { correlationIdOf, createCorrelation, isSaneCorrelationId } from '../../../src/middleware/correlation.js';
import { send } from '../../helpers/http.js';
import { serve, type ServedApp } from './serve.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const VISIBLE_ASCII = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');

describe('correlation', () => {
  describe('isSaneCorrelationId', () => {
    const sane: Array<[label: string, id: string]> = [
      ['one character', 'a'],
      ['a UUID', '0b0f3c1e-6f0a-4a43-9d6b-3c2f1f6f0a11'],
      ['every visible ASCII character', VISIBLE_ASCII],
      ['128 characters', 'x'.repeat(128)],
    ];

    for (const [label, id] of sane) {
      it(`when the id is ${label}, then it is kept`, () => {
        expect(isSaneCorrelationId(id)).to.equal(true);
      });
    }

    const insane: Array<[label: string, id: string]> = [
      ['empty', ''],
      ['129 characters', 'x'.repeat(129)],
      ['a space', 'a b'],
      ['a tab', 'a\tb'],
      ['a newline', 'a\nInjected: 1'],
      ['DEL', 'a\x7f'],
      ['NUL', 'a\x00'],
      ['non-ASCII', 'café'],
      ['an emoji', 'id-🙂'],
    ];

    for (const [label, id] of insane) {
      it(`when the id has ${label}, then it is replaced`, () => {
        expect(isSaneCorrelationId(id)).to.equal(false);
      });
    }
  });

  describe('correlationIdOf', () => {
    it('when the headers carry a sane id, then it is the id', () => {
      expect(correlationIdOf({ 'x-correlation-id': 'abc-123' })).to.equal('abc-123');
    });

    it('when the headers carry an id that is not sane, or none, then each call makes a fresh UUID', () => {
      const ids = [correlationIdOf({ 'x-correlation-id': 'a\nInjected: 1' }), correlationIdOf({}), correlationIdOf({})];
      for (const id of ids) expect(id).to.match(UUID);
      expect(new Set(ids).size).to.equal(3);
    });
  });

  describe('middleware', () => {
    let app: ServedApp;

    before(async () => {
      app = await serve([
        createCorrelation(),
        async (ctx) => {
          ctx.body = ctx.state.correlationId;
        },
      ]);
    });

    after(async () => {
      await app.close();
    });

    async function idFor(incoming: string | undefined): Promise<{ header: unknown; state: string }> {
      const headers = incoming === undefined ? {} : { 'x-correlation-id': incoming };
      const response = await send({ port: app.port, path: '/', headers });
      return { header: response.headers['x-correlation-id'], state: response.text };
    }

    it('when the client sends no id, then a UUID is made, stored in state and echoed', async () => {
      const { header, state } = await idFor(undefined);
      expect(header).to.match(UUID);
      expect(state).to.equal(header);
    });

    it('when two requests come without an id, then each gets its own', async () => {
      const first = await idFor(undefined);
      const second = await idFor(undefined);
      expect(first.header).not.to.equal(second.header);
    });

    for (const [label, id] of [
      ['a short id', 'abc-123'],
      ['128 visible ASCII characters', VISIBLE_ASCII + 'x'.repeat(128 - VISIBLE_ASCII.length)],
    ]) {
      it(`when the client sends ${label}, then it is kept and echoed`, async () => {
        expect(await idFor(id)).to.deep.equal({ header: id, state: id });
      });
    }

    for (const [label, id] of [
      ['129 characters', 'x'.repeat(129)],
      ['a space', 'a b'],
      ['a non-ASCII character', 'caf\u00e9'],
      ['an empty value', ''],
    ]) {
      it(`when the client sends ${label}, then a UUID replaces it`, async () => {
        const { header, state } = await idFor(id);
        expect(header).to.match(UUID);
        expect(state).to.equal(header);
      });
    }
  });
});
