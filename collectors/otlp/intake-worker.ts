/**
 * A worker thread of the receiver's intake pool (intake-pool.ts): runs `intakeOtlp` on
 * the bodies it is sent and answers each with its record, or with the `DecodeError` that
 * makes the request a 400. Pure CPU work: the rendering of spans to rows is done here so
 * the collector's event loop stays free to drive the writer's engine queries.
 */
import { parentPort } from 'node:worker_threads';
import { DecodeError } from '../../core/errors.js';
import { intakeOtlp } from './receiver-intake.js';
import { transferable, type IntakeReply, type IntakeTask } from './intake-pool.js';

if (parentPort === null) throw new Error('intake-worker.js runs as a worker thread of the OTLP receiver');
const port = parentPort;

port.on('message', (task: IntakeTask) => {
  let reply: IntakeReply;
  try {
    const body = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength);
    reply = { id: task.id, ok: true, record: intakeOtlp(task.signal, task.wire, body, task.spans) };
  } catch (e) {
    reply =
      e instanceof DecodeError
        ? { id: task.id, ok: false, decode: { reason: e.reason, position: e.position } }
        : { id: task.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  // the record's buffers move to the loop rather than being copied (intake-pool.ts)
  port.postMessage(reply, reply.ok && reply.record.record ? transferable(reply.record.record.parts) : []);
});
