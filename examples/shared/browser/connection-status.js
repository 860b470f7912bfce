// A badge that shows a HubClient's connection state as a person should read it: connected,
// connecting, reconnecting in N s, offline (gave up, with the reason). Its `data-state` attribute
// holds the client's state, for styles and for tests.
const STYLE = `
.connection-status { display: inline-block; padding: 0.15em 0.6em; border-radius: 1em;
  font: 600 0.8rem system-ui, sans-serif; color: #fff; background: #888; }
.connection-status[data-state='connected'] { background: #1a7f37; }
.connection-status[data-state='connecting'] { background: #9a6700; }
.connection-status[data-state='disconnected'] { background: #bc4c00; }
.connection-status[data-state='closed'] { background: #cf222e; }
`;

function addStyleOnce() {
  if (document.getElementById('connection-status-style')) return;
  const style = document.createElement('style');
  style.id = 'connection-status-style';
  style.textContent = STYLE;
  document.head.append(style);
}

/** Keeps `element` showing `client`'s state; returns a function that stops it. */
export function showConnectionStatus(client, element) {
  addStyleOnce();
  element.classList.add('connection-status');
  let retryAt = 0;
  let countdown;
  let connectedOnce = client.state === 'connected';
  const render = (text) => {
    element.dataset.state = client.state;
    element.textContent = text;
  };
  const showRetry = () => {
    const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
    render(seconds > 0 ? `reconnecting in ${seconds} s` : 'reconnecting…');
  };
  const removers = [
    client.on('state', (state) => {
      clearInterval(countdown);
      if (state === 'connected') {
        connectedOnce = true;
        render('connected');
      } else if (state === 'connecting') render(connectedOnce ? 'reconnecting…' : 'connecting…');
      else if (state === 'closed')
        render(element.dataset.reason ? `offline: ${element.dataset.reason}` : 'offline');
      else if (state === 'disconnected') {
        showRetry();
        countdown = setInterval(showRetry, 500);
      } else render(state);
    }),
    client.on('disconnected', (event) => {
      retryAt = Date.now() + (event.delay ?? 0);
      if (client.state === 'disconnected') showRetry();
    }),
    client.on('failed', (error) => {
      element.dataset.reason = error.code;
      render(`offline: ${error.code}`);
    }),
  ];
  render(client.state === 'idle' ? 'not connected' : client.state);
  return () => {
    clearInterval(countdown);
    for (const remove of removers) remove();
  };
}
