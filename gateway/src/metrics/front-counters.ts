/**
 * Plain counters the fronts bump (the WebSocket endpoint), read by the metrics at scrape time. A plain
 * object, as in stats/: an endpoint adds one at accept and takes one away at close.
 * @module
 */

/** WebSocket connections: open now and accepted since start. */
export class WebSocketCounters {
  /** Accepted since start (skiff_websocket_connections_total). */
  opened = 0
  /** Open now (skiff_websocket_connections). */
  open = 0
}
