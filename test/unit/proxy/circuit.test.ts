import { expect } from 'chai';
import { Circuit, type Admission, type CircuitState } from '../../../src/proxy/circuit.js';

const THRESHOLD = 5;
const OPEN_MS = 10_000;

/** A circuit on a hand-moved clock, with every change of state it reported. */
function createCircuit(): {
  circuit: Circuit;
  changes: Array<[CircuitState, CircuitState]>;
  advance: (ms: number) => void;
} {
  let now = 1_000_000;
  const changes: Array<[CircuitState, CircuitState]> = [];
  const circuit = new Circuit({
    failureThreshold: THRESHOLD,
    openMs: OPEN_MS,
    now: () => now,
    onChange: (to, from) => changes.push([from, to]),
  });
  return { circuit, changes, advance: (ms) => (now += ms) };
}

/** Admits `count` requests one after the other and fails each. */
function failInTurn(circuit: Circuit, count: number): void {
  for (let i = 0; i < count; i += 1) circuit.failed(circuit.admit());
}

function open(): ReturnType<typeof createCircuit> {
  const made = createCircuit();
  failInTurn(made.circuit, THRESHOLD);
  return made;
}

describe('Circuit', () => {
  it('when fewer consecutive failures than the threshold happen, then it stays closed and admits every request', () => {
    const { circuit, changes } = createCircuit();
    failInTurn(circuit, THRESHOLD - 1);
    expect(circuit.state).to.equal('closed');
    expect(circuit.admit()).to.deep.equal({ admitted: true, probe: false });
    expect(changes).to.deep.equal([]);
  });

  it('when a success comes between failures, then the count starts again', () => {
    const { circuit } = createCircuit();
    failInTurn(circuit, THRESHOLD - 1);
    circuit.succeeded(circuit.admit());
    failInTurn(circuit, THRESHOLD - 1);
    expect(circuit.state).to.equal('closed');
  });

  it('when the threshold of consecutive failures is reached, then it opens once and refuses with the time left', () => {
    const { circuit, changes, advance } = open();
    expect(circuit.state).to.equal('open');
    expect(changes).to.deep.equal([['closed', 'open']]);
    expect(circuit.admit()).to.deep.equal({ admitted: false, retryAfterMs: OPEN_MS });
    advance(7_500);
    expect(circuit.admit()).to.deep.equal({ admitted: false, retryAfterMs: 2_500 });
  });

  it('when requests admitted before it opened fail afterwards, then they neither count nor keep it open longer', () => {
    const { circuit, changes, advance } = createCircuit();
    const inFlight = Array.from({ length: THRESHOLD + 3 }, () => circuit.admit());
    for (const admission of inFlight.slice(0, THRESHOLD)) circuit.failed(admission);
    advance(4_000);
    for (const admission of inFlight.slice(THRESHOLD)) circuit.failed(admission);
    expect(circuit.admit()).to.deep.equal({ admitted: false, retryAfterMs: OPEN_MS - 4_000 });
    expect(changes).to.deep.equal([['closed', 'open']]);
  });

  it('when the open time is up, then exactly one request goes (half-open) and the others are refused meanwhile', () => {
    const { circuit, changes, advance } = open();
    advance(OPEN_MS);
    expect(circuit.admit()).to.deep.equal({ admitted: true, probe: true });
    expect(circuit.state).to.equal('half-open');
    for (let i = 0; i < 10; i += 1) expect(circuit.admit()).to.deep.equal({ admitted: false, retryAfterMs: 0 });
    expect(changes).to.deep.equal([
      ['closed', 'open'],
      ['open', 'half-open'],
    ]);
  });

  it('when the half-open probe succeeds, then it closes and admits everything again', () => {
    const { circuit, changes, advance } = open();
    advance(OPEN_MS);
    circuit.succeeded(circuit.admit());
    expect(circuit.state).to.equal('closed');
    expect(circuit.admit()).to.deep.equal({ admitted: true, probe: false });
    expect(changes.at(-1)).to.deep.equal(['half-open', 'closed']);
    failInTurn(circuit, THRESHOLD - 1);
    expect(circuit.state, 'failures before the opening are forgotten').to.equal('closed');
  });

  it('when the half-open probe fails, then it opens again for the whole open time', () => {
    const { circuit, changes, advance } = open();
    advance(OPEN_MS + 123);
    circuit.failed(circuit.admit());
    expect(circuit.state).to.equal('open');
    expect(circuit.admit()).to.deep.equal({ admitted: false, retryAfterMs: OPEN_MS });
    expect(changes).to.deep.equal([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'open'],
    ]);
  });

  it('when the half-open probe is released (the client left), then the next request becomes the probe', () => {
    const { circuit, advance } = open();
    advance(OPEN_MS);
    circuit.released(circuit.admit());
    expect(circuit.state).to.equal('half-open');
    expect(circuit.admit()).to.deep.equal({ admitted: true, probe: true });
  });

  it('when a request admitted while closed ends during half-open, then only the probe decides', () => {
    const { circuit, advance } = createCircuit();
    const early: Admission = circuit.admit();
    failInTurn(circuit, THRESHOLD);
    advance(OPEN_MS);
    const probe = circuit.admit();
    circuit.succeeded(early);
    expect(circuit.state).to.equal('half-open');
    circuit.failed(early);
    expect(circuit.state).to.equal('half-open');
    circuit.succeeded(probe);
    expect(circuit.state).to.equal('closed');
  });

  it('when the threshold is below 1, then it is refused at once', () => {
    expect(() => new Circuit({ failureThreshold: 0, openMs: OPEN_MS })).to.throw(
      RangeError,
      'failureThreshold must be at least 1',
    );
  });
});
