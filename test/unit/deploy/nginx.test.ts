import { expect } from 'chai';
import { upstreamServers, withoutComments } from '../../helpers/compose.js';
import { readRepoFile } from '../../helpers/dockerfile.js';

describe('deploy/nginx.conf', () => {
  const config = withoutComments(readRepoFile('deploy/nginx.conf'));
  const directives = (name: string): string[] =>
    [...config.matchAll(new RegExp(`^\\s*${name}\\s+([^;]*);`, 'gm'))].map((match) => match[1]!.trim());

  it('when nginx balances, then one upstream names the three replicas and every location proxies to it', () => {
    expect(upstreamServers(config, 'gateway')).to.deep.equal(['gateway-1:4000', 'gateway-2:4000', 'gateway-3:4000']);
    expect(directives('proxy_pass')).to.have.length.at.least(1);
    for (const target of directives('proxy_pass')) expect(target).to.equal('http://gateway');
    expect(directives('listen')).to.deep.equal(['4000']);
  });

  it("when connections to the replicas are reused, then HTTP/1.1 without a Connection header, closed before Node's 5 s keep-alive timeout", () => {
    expect(directives('keepalive')).to.have.length(1);
    expect(directives('proxy_http_version')).to.deep.equal(['1.1']);
    // An empty Connection for every request but a WebSocket handshake (the map gives '' without Upgrade).
    expect(directives('proxy_set_header')).to.include('Connection $connection_upgrade');
    expect(config).to.match(/map\s+\$http_upgrade\s+\$connection_upgrade\s*\{[^}]*''\s+'';/);
    const [timeout] = directives('keepalive_timeout');
    expect(Number.parseInt(timeout ?? '60', 10)).to.be.below(5);
  });

  it('when a request is proxied, then nginx appends the client to X-Forwarded-For and sets X-Forwarded-Proto', () => {
    expect(directives('proxy_set_header')).to.include.members([
      'X-Forwarded-For $proxy_add_x_forwarded_for',
      'X-Forwarded-Proto $scheme',
    ]);
  });

  it("when a WebSocket handshake is proxied, then its Upgrade goes on with Connection: upgrade, and nginx waits longer than the gateway's idle timeouts", () => {
    expect(directives('proxy_set_header')).to.include('Upgrade $http_upgrade');
    expect(config).to.match(/map\s+\$http_upgrade\s+\$connection_upgrade\s*\{[^}]*default\s+upgrade;/);
    for (const name of ['proxy_read_timeout', 'proxy_send_timeout']) {
      expect(Number.parseInt(directives(name)[0] ?? '60', 10), name).to.be.above(300);
    }
  });

  it('when /health is asked, then it is passed through to the replicas', () => {
    expect(config).to.match(/location\s+\/health\s*\{[^}]*proxy_pass\s+http:\/\/gateway;/);
  });
});
