// Preloaded into every benchmark server (`node --expose-gc --import memory-probe.js ...`), including the
// fullduplex CLI, so memory is read the same way everywhere: the harness sends 'memory' over the IPC
// channel, the probe collects garbage and answers with process.memoryUsage().
interface MemoryRequest {
  type: 'memory';
}

function isMemoryRequest(message: unknown): message is MemoryRequest {
  return typeof message === 'object' && message !== null && (message as MemoryRequest).type === 'memory';
}

if (process.send !== undefined) {
  process.on('message', (message: unknown) => {
    if (!isMemoryRequest(message)) return;
    const collect = (globalThis as { gc?: () => void }).gc;
    // Two passes: the first finalises objects whose finalisers free more.
    collect?.();
    collect?.();
    const usage = process.memoryUsage();
    process.send?.({ type: 'memory', usage, collected: collect !== undefined });
  });
  // The IPC channel must not keep a server alive on its own, nor stop it exiting on SIGTERM.
  process.channel?.unref();
}
