import { expect } from 'chai';
import { headersInPacket } from '../../src/packet-headers.js';

describe('headersInPacket', () => {
  it('when the packet holds a whole head, then its fields are read, names lower-cased, the first of repeated ones kept', () => {
    const packet = Buffer.from(
      'GET / HTTP/1.1\r\nHost: gateway.test\r\nOrigin:  https://shop.example \r\norigin: https://evil.example\r\n\r\nbody: no',
      'latin1',
    );
    expect(headersInPacket(packet)).to.deep.equal({ host: 'gateway.test', origin: 'https://shop.example' });
  });

  it('when the packet starts inside a line and ends inside another, then both partial lines are skipped', () => {
    const packet = Buffer.from(
      'in: https://from-a-cut-line.example\r\nOrigin: https://shop.example\r\nCookie: a=aaaa',
      'latin1',
    );
    expect(headersInPacket(packet)).to.deep.equal({ origin: 'https://shop.example' });
  });

  it('when there is no packet, then there are no headers', () => {
    expect(headersInPacket(undefined)).to.deep.equal({});
  });
});
