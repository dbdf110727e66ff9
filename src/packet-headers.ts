import type { IncomingHttpHeaders } from 'node:http';

/** An HTTP field name (RFC 9110 §5.6.2), then the value. */
const FIELD_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

/**
 * The header fields complete in `packet`, the bytes Node's parser refused a request on (its
 * `rawPacket`): enough to find the `Origin` and `Host` of a refused request. The first line is the
 * request line, or the tail of a line begun in an earlier packet; the last may be cut short: both
 * are skipped. The first of repeated fields wins. Nothing here is trusted beyond what the CORS
 * policy checks against its allow-list.
 */
export function headersInPacket(packet: Buffer | undefined): IncomingHttpHeaders {
  const headers: Record<string, string> = {};
  if (packet === undefined) return headers;
  const text = packet.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const lines = (end === -1 ? text : text.slice(0, end + 2)).split('\r\n');
  for (const line of lines.slice(1, -1)) {
    const match = FIELD_LINE.exec(line);
    if (match === null) continue;
    const name = match[1]!.toLowerCase();
    headers[name] ??= match[2]!;
  }
  return headers;
}
