import type { IncomingHttpHeaders } from 'node:http';
import { expect } from 'chai';
import {
  buildUpstreamHeaders,
  connectionOptions,
  responseHeaders,
  webSocketRequestHeaders,
  type ForwardingContext,
} from '../../../src/proxy/headers.js';

const PEER = '10.0.0.9';

function context(overrides: Partial<ForwardingContext> = {}): ForwardingContext {
  return {
    peerAddress: PEER,
    protocol: 'http',
    trustProxy: false,
    correlationId: 'corr-1',
    user: undefined,
    ...overrides,
  };
}

function upstreamHeaders(incoming: IncomingHttpHeaders, overrides: Partial<ForwardingContext> = {}) {
  return buildUpstreamHeaders({ host: 'shop.example', ...incoming }, context(overrides));
}

describe('proxy headers', () => {
  describe('buildUpstreamHeaders', () => {
    it('when the client sends hop-by-hop headers, then none is forwarded (RFC 9110 §7.6.1)', () => {
      const headers = upstreamHeaders({
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        'proxy-authenticate': 'Basic',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'proxy-custom': '1',
        te: 'trailers',
        trailer: 'x-checksum',
        'transfer-encoding': 'chunked',
        upgrade: 'websocket',
      });
      for (const name of [
        'connection',
        'keep-alive',
        'proxy-connection',
        'proxy-authenticate',
        'proxy-authorization',
        'proxy-custom',
        'te',
        'trailer',
        'transfer-encoding',
        'upgrade',
      ]) {
        expect(headers, name).not.to.have.property(name);
      }
    });

    it('when Connection names headers, then those headers are not forwarded', () => {
      const headers = upstreamHeaders({
        connection: 'close, X-Secret-Hop , other',
        'x-secret-hop': '1',
        other: '2',
        'x-kept': '3',
      });
      expect(headers).not.to.have.property('x-secret-hop');
      expect(headers).not.to.have.property('other');
      expect(headers['x-kept']).to.equal('3');
    });

    it('when the client sends Host and Expect, then neither is forwarded', () => {
      const headers = upstreamHeaders({ expect: '100-continue' });
      expect(headers).not.to.have.property('host');
      expect(headers).not.to.have.property('expect');
    });

    it('when the client sends x-user-* and there is no user, then none is forwarded', () => {
      const headers = upstreamHeaders({
        'x-user-id': '1',
        'x-user-email': 'a@b',
        'x-user-role': 'ADMIN',
        'x-user-tenant': 't',
      });
      expect(Object.keys(headers).filter((name) => name.startsWith('x-user-'))).to.deep.equal([]);
    });

    it('when there is a user, then x-user-* come from the user context, not the client', () => {
      const headers = upstreamHeaders(
        { 'x-user-id': '1', 'x-user-role': 'ADMIN', 'x-user-tenant': 't' },
        { user: { id: '42', email: 'ada@example.com', role: 'USER' } },
      );
      expect(headers['x-user-id']).to.equal('42');
      expect(headers['x-user-email']).to.equal('ada@example.com');
      expect(headers['x-user-role']).to.equal('USER');
      expect(headers).not.to.have.property('x-user-tenant');
    });

    it('when the client sends headers with `_` in the name, then none is forwarded, with or without a user (CGI reads x_user_id as x-user-id)', () => {
      const underscored = {
        x_user_id: '1',
        x_user_role: 'ADMIN',
        x_forwarded_for: '6.6.6.6',
        x_correlation_id: 'forged',
        my_header: 'v',
        x_: '1',
      };
      for (const user of [undefined, { id: '42', email: 'ada@example.com', role: 'USER' }]) {
        const headers = upstreamHeaders({ ...underscored, 'x-kept': 'yes' }, { user });
        expect(Object.keys(headers).filter((name) => name.includes('_'))).to.deep.equal([]);
        expect(headers['x-kept']).to.equal('yes');
        expect(headers['x-user-id']).to.equal(user?.id);
        expect(headers['x-forwarded-for']).to.equal(PEER);
        expect(headers['x-correlation-id']).to.equal('corr-1');
      }
    });

    it('when the user has no role, then no x-user-role is sent even if the client sent one', () => {
      const headers = upstreamHeaders(
        { 'x-user-role': 'ADMIN' },
        { user: { id: '42', email: 'ada@example.com', role: undefined } },
      );
      expect(headers['x-user-id']).to.equal('42');
      expect(headers).not.to.have.property('x-user-role');
    });

    it('when the client sends x-correlation-id and x-request-id, then both carry the context id instead', () => {
      const headers = upstreamHeaders({ 'x-correlation-id': 'client-id', 'x-request-id': 'client-request' });
      expect(headers['x-correlation-id']).to.equal('corr-1');
      expect(headers['x-request-id']).to.equal('corr-1');
    });

    it('when the proxy is not trusted, then X-Forwarded-For is the peer address only', () => {
      expect(upstreamHeaders({ 'x-forwarded-for': '6.6.6.6' })['x-forwarded-for']).to.equal(PEER);
    });

    it('when the proxy is trusted, then the peer is appended to the incoming X-Forwarded-For', () => {
      const headers = upstreamHeaders({ 'x-forwarded-for': '1.1.1.1, 2.2.2.2' }, { trustProxy: true });
      expect(headers['x-forwarded-for']).to.equal(`1.1.1.1, 2.2.2.2, ${PEER}`);
    });

    it('when the proxy is trusted and there is no incoming chain, then X-Forwarded-For is the peer address', () => {
      expect(upstreamHeaders({}, { trustProxy: true })['x-forwarded-for']).to.equal(PEER);
    });

    it('when the proxy is not trusted, then X-Forwarded-Host is the client Host and X-Forwarded-Proto the protocol', () => {
      const headers = upstreamHeaders({ 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
      expect(headers['x-forwarded-host']).to.equal('shop.example');
      expect(headers['x-forwarded-proto']).to.equal('http');
    });

    it('when the proxy is trusted, then the incoming X-Forwarded-Host and X-Forwarded-Proto are kept', () => {
      const headers = upstreamHeaders(
        { 'x-forwarded-host': 'edge.example', 'x-forwarded-proto': 'https' },
        { trustProxy: true },
      );
      expect(headers['x-forwarded-host']).to.equal('edge.example');
      expect(headers['x-forwarded-proto']).to.equal('https');
    });

    it('when the request came over https, then X-Forwarded-Proto says https', () => {
      expect(upstreamHeaders({}, { protocol: 'https' })['x-forwarded-proto']).to.equal('https');
    });

    it('when the client sends Forwarded, then it is kept only when the proxy is trusted', () => {
      const forwarded = 'for=1.1.1.1;proto=https';
      expect(upstreamHeaders({ forwarded })).not.to.have.property('forwarded');
      expect(upstreamHeaders({ forwarded }, { trustProxy: true }).forwarded).to.equal(forwarded);
    });

    it('when the client sends end-to-end headers, then they are forwarded unchanged', () => {
      const endToEnd = {
        authorization: 'Bearer a.b.c',
        cookie: 'session=1; theme=dark',
        'content-type': 'application/json',
        'content-length': '23',
        accept: 'application/json',
        'accept-encoding': 'gzip',
        'user-agent': 'test',
      };
      expect(upstreamHeaders(endToEnd)).to.deep.include(endToEnd);
    });

    it('when headers are built, then the incoming headers are left untouched', () => {
      const incoming: IncomingHttpHeaders = {
        host: 'shop.example',
        connection: 'x-hop',
        'x-hop': '1',
        'x-user-id': '7',
      };
      const before = { ...incoming };
      buildUpstreamHeaders(incoming, context({ user: { id: '42', email: 'e', role: 'USER' } }));
      expect(incoming).to.deep.equal(before);
    });
  });

  describe('responseHeaders', () => {
    function clientHeaders(upstream: IncomingHttpHeaders): Record<string, string | string[]> {
      return Object.fromEntries(responseHeaders(upstream));
    }

    it('when the upstream sends hop-by-hop headers, then none reaches the client', () => {
      const headers = clientHeaders({
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        trailer: 'x-checksum',
        'proxy-authenticate': 'Basic',
        'proxy-custom': '1',
        'content-type': 'text/plain',
      });
      expect(headers).to.deep.equal({ 'content-type': 'text/plain' });
    });

    it('when the upstream Connection header names headers, then those are dropped', () => {
      expect(clientHeaders({ connection: 'x-hop', 'x-hop': 'secret', etag: '"1"' })).to.deep.equal({ etag: '"1"' });
    });

    it('when the upstream sends CORS headers and X-Powered-By, then they are dropped', () => {
      const headers = clientHeaders({
        'access-control-allow-origin': '*',
        'access-control-allow-credentials': 'true',
        'x-powered-by': 'Express',
        'cache-control': 'max-age=60',
      });
      expect(headers).to.deep.equal({ 'cache-control': 'max-age=60' });
    });

    it('when the upstream sets two cookies, then Set-Cookie stays a list', () => {
      expect(clientHeaders({ 'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly'] })['set-cookie']).to.deep.equal([
        'a=1; Path=/',
        'b=2; HttpOnly',
      ]);
    });

    it('when the upstream sends end-to-end headers, then they pass unchanged', () => {
      const endToEnd = {
        'content-type': 'application/json',
        'content-length': '10',
        'content-encoding': 'gzip',
        vary: 'Accept-Encoding',
        'www-authenticate': 'Bearer',
        'x-upstream': 'yes',
      };
      expect(clientHeaders(endToEnd)).to.deep.equal(endToEnd);
    });

    it('when a header value is undefined, then it is skipped', () => {
      expect(clientHeaders({ etag: undefined, age: '1' })).to.deep.equal({ age: '1' });
    });
  });

  describe('connectionOptions', () => {
    it('when Connection only says close or keep-alive, then it names no header', () => {
      expect(connectionOptions('close')).to.equal(undefined);
      expect(connectionOptions('Keep-Alive')).to.equal(undefined);
      expect(connectionOptions(undefined)).to.equal(undefined);
    });

    it('when Connection names headers in any case, then their lower-case names are returned', () => {
      expect([...connectionOptions('keep-alive, X-Hop,, Other')!]).to.deep.equal(['x-hop', 'other']);
    });
  });

  describe('webSocketRequestHeaders', () => {
    it('when a WebSocket handshake is forwarded, then Connection: Upgrade, Upgrade and every Sec-WebSocket-* header go downstream with the rest', () => {
      const incoming: IncomingHttpHeaders = {
        host: 'shop.example',
        connection: 'Upgrade, Sec-WebSocket-Protocol',
        upgrade: 'websocket',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
        'sec-websocket-protocol': 'chat',
        'sec-websocket-extensions': 'permessage-deflate',
        'x-user-id': 'forged',
        accept: '*/*',
      };
      const headers = webSocketRequestHeaders(incoming, buildUpstreamHeaders(incoming, context()));
      expect(headers).to.include({
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
        'sec-websocket-protocol': 'chat',
        'sec-websocket-extensions': 'permessage-deflate',
        accept: '*/*',
        'x-correlation-id': 'corr-1',
      });
      expect(headers).not.to.have.property('x-user-id');
    });

    it('when an ordinary request is forwarded, then Upgrade is still dropped', () => {
      expect(upstreamHeaders({ connection: 'Upgrade', upgrade: 'websocket' })).not.to.have.any.keys(
        'upgrade',
        'connection',
      );
    });
  });
});
