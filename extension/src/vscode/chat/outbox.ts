// Messages for the webview wait here while it is not ready (not yet loaded, or hidden: a hidden
// WebviewView is torn down and its messages would be lost). Consecutive streaming deltas of one item
// are merged, and a merged command-output delta keeps only its last `maxDeltaChars`, so a long run
// while the view is hidden cannot grow the queue without bound; the bytes dropped travel with the
// message. Answer text is never dropped.
import type { HostMessage } from '../../shared/chat-protocol';

export const DEFAULT_MAX_DELTA_CHARS = 256 * 1024;

function utf8Bytes(s: string): number {
  return new TextEncoder().encode(s).length;
}

export class Outbox {
  private queue: HostMessage[] = [];
  /** Items whose deltas are command output (and so may be trimmed). */
  private readonly commandItems = new Set<string>();

  constructor(private readonly maxDeltaChars = DEFAULT_MAX_DELTA_CHARS) {}

  get length(): number {
    return this.queue.length;
  }

  /** Learns item kinds from every message sent to the view, queued or not. */
  note(message: HostMessage): void {
    if (message.type === 'clear') this.commandItems.clear();
    if (message.type !== 'event') return;
    const ev = message.event;
    if ((ev.type === 'item.started' || ev.type === 'item.updated') && ev.item.type === 'command_execution') {
      this.commandItems.add(ev.item.id);
    }
  }

  push(message: HostMessage): void {
    this.note(message);
    const last = this.queue[this.queue.length - 1];
    if (
      message.type === 'event' &&
      message.event.type === 'item.delta' &&
      last?.type === 'event' &&
      last.event.type === 'item.delta' &&
      last.event.item_id === message.event.item_id
    ) {
      let delta = last.event.delta + message.event.delta;
      let cut = (last.cutBytes ?? 0) + (message.cutBytes ?? 0);
      if (delta.length > this.maxDeltaChars && this.commandItems.has(message.event.item_id)) {
        let start = delta.length - this.maxDeltaChars;
        const c = delta.charCodeAt(start);
        if (c >= 0xdc00 && c <= 0xdfff) start++; // keep surrogate pairs whole
        cut += utf8Bytes(delta.slice(0, start));
        delta = delta.slice(start);
      }
      this.queue[this.queue.length - 1] = {
        type: 'event',
        event: { type: 'item.delta', item_id: message.event.item_id, delta },
        ...(cut > 0 ? { cutBytes: cut } : {}),
      };
      return;
    }
    if (message.type === 'clear') {
      // Nothing queued before a clear would survive it.
      this.queue = [];
    }
    this.queue.push(message);
  }

  /** Takes everything queued, oldest first. */
  drain(): HostMessage[] {
    const out = this.queue;
    this.queue = [];
    return out;
  }
}
