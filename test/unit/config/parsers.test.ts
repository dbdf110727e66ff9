import { expect } from 'chai';
import {
  boolean,
  createEnvReader,
  exactText,
  hidePassword,
  hostPortList,
  integer,
  list,
  oneOf,
  optionalText,
  text,
  url,
} from '../../../src/config/parsers.js';

describe('env parsers', () => {
  describe('integer', () => {
    const port = integer(4000, 0, 65535);

    for (const [raw, expected] of [
      ['0', 0],
      ['65535', 65535],
      ['007', 7],
    ] as const) {
      it(`when given ${raw}, then it reads ${expected}`, () => {
        expect(port.parse(raw)).to.equal(expected);
      });
    }

    for (const raw of ['65536', '-1', '1.5', '1e3', '0x10', '+5', 'abc', '9007199254740993']) {
      it(`when given ${raw}, then it refuses it`, () => {
        expect(() => port.parse(raw)).to.throw('must be a whole number from 0 to 65535');
      });
    }

    it('when the minimum is 1, then 0 is refused', () => {
      expect(() => integer(5000, 1).parse('0')).to.throw(/from 1/);
    });
  });

  describe('boolean', () => {
    const flag = boolean(false);

    for (const raw of ['true', 'TRUE', '1', 'yes', 'on']) {
      it(`when given ${raw}, then it reads true`, () => {
        expect(flag.parse(raw)).to.equal(true);
      });
    }

    for (const raw of ['false', 'False', '0', 'no', 'off']) {
      it(`when given ${raw}, then it reads false`, () => {
        expect(boolean(true).parse(raw)).to.equal(false);
      });
    }

    for (const raw of ['maybe', 'y', '2', 'truee']) {
      it(`when given ${raw}, then it refuses to guess`, () => {
        expect(() => flag.parse(raw)).to.throw('must be true or false');
      });
    }
  });

  describe('oneOf', () => {
    const level = oneOf(['info', 'debug'], 'info');

    it('when given a listed word in any case, then it reads the listed word', () => {
      expect(level.parse('DEBUG')).to.equal('debug');
    });

    it('when given an unlisted word, then the message lists the allowed words', () => {
      expect(() => level.parse('loud')).to.throw('must be one of info, debug');
    });
  });

  describe('exactText', () => {
    it('when the value has surrounding whitespace, then it is read untrimmed; plain text is trimmed', () => {
      const { read } = createEnvReader({ SECRET: ' key\n', NAME: ' name\n' });
      expect(read('SECRET', exactText('default'))).to.equal(' key\n');
      expect(read('NAME', text('default'))).to.equal('name');
    });

    it('when the value is empty, then it reads the default', () => {
      expect(createEnvReader({ SECRET: '' }).read('SECRET', exactText('default'))).to.equal('default');
    });
  });

  describe('list', () => {
    it('when given a comma-separated list with blanks, then items are trimmed and blanks dropped', () => {
      expect(list([]).parse(' a , ,b,')).to.deep.equal(['a', 'b']);
    });
  });

  describe('empty values', () => {
    it('when a variable is set to empty, then text, integer and URL fall back to their defaults', () => {
      expect(text('x').emptyValue).to.equal('x');
      expect(integer(7).emptyValue).to.equal(7);
      expect(url('http://h', ['http']).emptyValue).to.equal('http://h');
    });

    it('when an optional text is set to empty, then it means none, whatever its default', () => {
      expect(optionalText('http://issuer').emptyValue).to.equal(undefined);
      expect(optionalText('http://issuer').defaultValue).to.equal('http://issuer');
    });
  });

  describe('url', () => {
    const service = url(undefined, ['http', 'https']);

    for (const [raw, expected] of [
      ['http://h:1', 'http://h:1'],
      ['https://h/', 'https://h'],
      ['http://h/base///', 'http://h/base'],
    ] as const) {
      it(`when given ${raw}, then it reads ${expected}`, () => {
        expect(service.parse(raw)).to.equal(expected);
      });
    }

    for (const raw of ['ftp://h', 'redis://h', 'not a url', '/relative', 'h:80']) {
      it(`when given ${raw}, then it refuses it as not an http or https URL`, () => {
        expect(() => service.parse(raw)).to.throw('must be an absolute http or https URL');
      });
    }

    // A bare `?` or `#` parses to an empty search/hash but would still end up in probe URLs.
    for (const raw of ['http://h/?a=1', 'http://h/#top', 'http://h/?', 'http://h#']) {
      it(`when given ${raw}, then it refuses the query or fragment`, () => {
        expect(() => service.parse(raw)).to.throw('must not have a query or fragment');
      });
    }
  });
  describe('hostPortList', () => {
    const sentinels = hostPortList();

    it('when given host:port entries with blanks around them, then it reads each host and port', () => {
      expect(sentinels.parse(' s1:26379 , 10.0.0.2:26380,[::1]:26381,')).to.deep.equal([
        { host: 's1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
        { host: '::1', port: 26381 },
      ]);
    });

    for (const raw of [
      's1',
      's1:',
      ':26379',
      's1:0',
      's1:65536',
      's1:port',
      's1:26379:1',
      '::1:26379',
      'redis://s1:26379',
      's1:26379,s2',
    ]) {
      it(`when given ${JSON.stringify(raw)}, then it refuses it naming the bad entry`, () => {
        expect(() => sentinels.parse(raw)).to.throw(/host:port .*bad entry/);
      });
    }

    it('when unset or empty, then it means none', () => {
      expect(sentinels.defaultValue).to.equal(undefined);
      expect(sentinels.emptyValue).to.equal(undefined);
    });
  });
  describe('hidePassword', () => {
    for (const [raw, shown] of [
      ['redis://:s3cret@cache:6379/?db=1', 'redis://:***@cache:6379/?db=1'],
      ['rediss://default:p@ss:word@cache:6380', 'rediss://default:***@cache:6380'],
      ['redis://cache:6379', 'redis://cache:6379'],
      ['redis://user@cache:6379', 'redis://user@cache:6379'],
      ['not a url', 'not a url'],
    ] as const) {
      it(`when given ${raw}, then it shows ${shown}`, () => {
        expect(hidePassword(raw)).to.equal(shown);
      });
    }
  });
});
