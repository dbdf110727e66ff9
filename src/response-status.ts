import type { GatewayContext } from './state.js';

/** nginx's code for "client closed the connection before the response was complete". */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * The status a request ended with, read once its response has closed: what was sent when the
 * response is complete; a response cut short is the client leaving (499), unless the forwarder
 * says its service cut it. A tunnel (101) never ends its response: it is complete when its
 * connection closes. The request log, the metrics and the server span all report this one value.
 */
export function finalStatus(ctx: GatewayContext): number {
  const { res } = ctx;
  if (res.writableFinished || res.statusCode === 101) return res.statusCode;
  return ctx.state.upstream?.cutStatus ?? CLIENT_CLOSED_REQUEST;
}
