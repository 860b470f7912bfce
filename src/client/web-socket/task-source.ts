// The WebSocket task source (WHATWG WebSockets, "Feedback from the protocol"): what the protocol
// reports is not acted on at once but queued as a task, so a script can still add listeners after
// `new WebSocket()`, and microtasks run between one event and the next. Node's setImmediate is the
// task: immediates run in order, with the microtask queue drained after each. One queue for all
// sockets keeps their tasks in the order they were queued, as a browser's task source does.

/** What runs a task: an object with a method, so queueing one needs no closure. */
export interface TaskTarget<K> {
  runTask(kind: K, payload: unknown): void;
}

interface Task {
  target: TaskTarget<unknown>;
  kind: unknown;
  payload: unknown;
}

const tasks: Task[] = [];
let head = 0;

function runOne(): void {
  const task = tasks[head];
  if (task === undefined) return;
  tasks[head] = undefined as unknown as Task;
  head++;
  if (head === tasks.length) {
    tasks.length = 0;
    head = 0;
  } else if (head > 1024 && head * 2 > tasks.length) {
    tasks.splice(0, head);
    head = 0;
  }
  task.target.runTask(task.kind, task.payload);
}

/** Queue a task: `target.runTask(kind, payload)` in a later turn of the event loop, in FIFO order. */
export function queueTask<K>(target: TaskTarget<K>, kind: K, payload: unknown = undefined): void {
  tasks.push({ target: target as TaskTarget<unknown>, kind, payload });
  setImmediate(runOne);
}
