// The hub's WebSocket URL for a page served by an example server: same host and port, `/hub`
// (the hub protocol is served on any path; the path only makes the intent readable in logs).
export function hubUrl(path = '/hub') {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}${path}`;
}
