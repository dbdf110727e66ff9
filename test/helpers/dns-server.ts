import dgram from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';

/** A real DNS server on a loopback UDP port, answering A and AAAA queries from records the test sets and changes. */
export interface TestDnsServer {
  readonly port: number;
  /** `SERVICE_DNS_SERVERS` for a gateway that should ask this server. */
  readonly servers: string;
  /** Queries answered so far, as `name type` (`products.test A`). */
  readonly queries: string[];
  /** Sets every address of `name` (IPv4 and IPv6 mixed); an empty list makes the name answer no records. */
  set(name: string, addresses: readonly string[]): void;
  /** The name no longer exists (NXDOMAIN). */
  remove(name: string): void;
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;
const CLASS_IN = 1;
const NXDOMAIN = 3;
const NOT_IMPLEMENTED = 4;

/** Starts the server on 127.0.0.1 with the given records (RFC 1035 §4: one question per query, answers with TTL 0). */
export async function startDnsServer(records: Record<string, readonly string[]> = {}): Promise<TestDnsServer> {
  const zone = new Map<string, readonly string[]>(
    Object.entries(records).map(([name, addresses]) => [name.toLowerCase(), addresses]),
  );
  const queries: string[] = [];
  const socket = dgram.createSocket('udp4');
  socket.on('message', (query, peer) => {
    const answer = answerQuery(query, zone, queries);
    if (answer !== undefined) socket.send(answer, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return {
    port,
    servers: `127.0.0.1:${port}`,
    queries,
    set: (name, addresses) => void zone.set(name.toLowerCase(), addresses),
    remove: (name) => void zone.delete(name.toLowerCase()),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function answerQuery(
  query: Buffer,
  zone: ReadonlyMap<string, readonly string[]>,
  queries: string[],
): Buffer | undefined {
  if (query.length < 12) return undefined;
  const id = query.readUInt16BE(0);
  let offset = 12;
  const labels: string[] = [];
  while (offset < query.length && query[offset] !== 0) {
    const length = query[offset]!;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
    offset += 1 + length;
  }
  offset += 1;
  if (offset + 4 > query.length) return undefined;
  const type = query.readUInt16BE(offset);
  const question = query.subarray(12, offset + 4);
  const name = labels.join('.').toLowerCase();
  queries.push(`${name} ${type === TYPE_A ? 'A' : type === TYPE_AAAA ? 'AAAA' : type}`);
  const addresses = zone.get(name);
  const rcode = addresses === undefined ? NXDOMAIN : type === TYPE_A || type === TYPE_AAAA ? 0 : NOT_IMPLEMENTED;
  const matching = (addresses ?? []).filter((address) =>
    type === TYPE_A ? isIPv4(address) : type === TYPE_AAAA && isIPv6(address),
  );
  const answers = matching.map((address) => resourceRecord(type, address));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8180 | rcode, 2); // response, recursion desired and available
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, question, ...answers]);
}

function resourceRecord(type: number, address: string): Buffer {
  const data = type === TYPE_A ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
  const record = Buffer.alloc(12);
  record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  record.writeUInt16BE(type, 2);
  record.writeUInt16BE(CLASS_IN, 4);
  record.writeUInt32BE(0, 6); // TTL 0: never cached
  record.writeUInt16BE(data.length, 10);
  return Buffer.concat([record, data]);
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...headParts, ...Array<string>(8 - headParts.length - tailParts.length).fill('0'), ...tailParts]
    : headParts;
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(parseInt(group, 16), index * 2));
  return bytes;
}
