import { expect } from 'chai';
import { upstreamServers, withoutComments } from '../../helpers/compose.js';
import { readRepoFile } from '../../helpers/dockerfile.js';

describe('config/nginx.conf', () => {
  const config = withoutComments(readRepoFile('config/nginx.conf'));
  const directives = (name: string): string[] =>
    [...config.matchAll(new RegExp(`^\\s*${name}\\s+([^;]*);`, 'gm'))].map((match) => match[1]!.trim());

  it('when nginx balances, then one upstream names the three replicas and every location proxies to it', () => {
    expect(upstreamServers(config, 'gateway')).to.deep.equal(['gateway-1:4000', 'gateway-2:4000', 'gateway-3:4000']);
    expect(directives('proxy_pass')).to.have.length.at.least(1);
    for (const target of directives('proxy_pass')) expect(target).to.equal('http://gateway');
    expect(directives('listen')).to.deep.equal(['4000']);
  });

  it('when connections to the replicas are reused, then HTTP/1.1 without a Connection header, closed before Node\'s 5 s keep-alive timeout', () => {
    expect(directives('keepalive')).to.have.length(1);
    expect(directives('proxy_http_version')).to.deep.equal(['1.1']);
    expect(directives('proxy_set_header')).to.include('Connection ""');
    const [timeout] = directives('keepalive_timeout');
    expect(Number.parseInt(timeout ?? '60', 10)).to.be.below(5);
  });

  it('when a request is proxied, then nginx appends the client to X-Forwarded-For and sets X-Forwarded-Proto', () => {
    expect(directives('proxy_set_header')).to.include.members([
      'X-Forwarded-For $proxy_add_x_forwarded_for',
      'X-Forwarded-Proto $scheme',
    ]);
  });

  it('when /health is asked, then it is passed through to the replicas', () => {
    expect(config).to.match(/location\s+\/health\s*\{[^}]*proxy_pass\s+http:\/\/gateway;/);
  });
});
