// A past session, redrawn in the chat: the core's replay of its session file (wasm-ui-core
// session/replay.rs: the person's messages without the harness's, the items as they were shown, each
// approval on its command, stops and failures) turned into the messages the live chat received. Pure.
import type { ReplayEntry } from '../generated/types/ReplayEntry';
import type { HostMessage } from '../shared/chat-protocol';

/**
 * The host messages that redraw a replayed session. Item and request ids get `prefix` (ids restart
 * in each resumed run of a session, and the new run's items must not land on old cards). A command
 * asked about is drawn as live: started, asked, answered, then completed, so the question sits on
 * its card.
 */
export function replayMessages(entries: ReplayEntry[], prefix = 'replay-'): HostMessage[] {
  const out: HostMessage[] = [];
  entries.forEach((entry, i) => {
    switch (entry.kind) {
      case 'user':
        out.push({ type: 'userMessage', text: entry.text, index: entry.index, ...(entry.checkpoint ? { checkpoint: entry.checkpoint } : {}) });
        break;
      case 'item': {
        const id = `${prefix}${i}-${entry.item.id}`;
        const item = { ...entry.item, id };
        if (item.type === 'command_execution' && entry.approvals.length > 0) {
          out.push({
            type: 'event',
            event: { type: 'item.started', item: { id, type: 'command_execution', command: item.command, aggregated_output: '', status: 'in_progress' } },
          });
          entry.approvals.forEach((a, j) => {
            const requestId = `${prefix}${i}-${j}-${a.request.requestId}`;
            out.push({ type: 'approval', requestId, request: { ...a.request, requestId, itemId: id } });
            out.push({ type: 'approvalResolved', requestId, decision: a.decision, ...(a.message ? { message: a.message } : {}) });
          });
        }
        out.push({ type: 'event', event: { type: 'item.completed', item } });
        break;
      }
      case 'approval': {
        const a = entry.approval;
        const requestId = `${prefix}${i}-${a.request.requestId}`;
        out.push({ type: 'approval', requestId, request: { ...a.request, requestId, itemId: '' } });
        out.push({ type: 'approvalResolved', requestId, decision: a.decision, ...(a.message ? { message: a.message } : {}) });
        break;
      }
      case 'stopped':
        out.push({ type: 'event', event: { type: 'turn.failed', error: { message: 'Stopped.', reason: 'interrupted' } } });
        break;
      case 'notice':
        out.push({ type: 'notice', text: entry.text });
        break;
      case 'failed':
        out.push({ type: 'event', event: { type: 'item.completed', item: { id: `${prefix}${i}-failed`, type: 'error', message: entry.message } } });
        break;
    }
  });
  return out;
}
