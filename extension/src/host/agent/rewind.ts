// Rewinding a conversation (the "files and conversation" restore, docs/checkpoints.md): the core cuts
// the history (`rewind` event, wasm-ui-core/src/session/rewind.rs); here, the host's side: which
// message a checkpoint belongs to, and rewinding a session file that is not open (the CLI).
import { loadCore, restoreCoreSession } from '../core';
import type { SessionStore } from '../sessions';
import type { ReplayEntry } from '../../generated/types/ReplayEntry';
import type { AgentConfig, Effect, SessionEvent, SessionRecord } from './types';

/** The text of the message rewound to, or the core's reason for refusing (an error item). */
export function rewindOutcome(effects: Effect[]): string | { refused: string } {
  for (const e of effects) {
    if (e.type === 'emit' && e.event.type === 'conversation.rewound') return e.event.text;
  }
  for (const e of effects) {
    if (e.type === 'emit' && e.event.type === 'item.completed' && e.event.item.type === 'error') return { refused: e.event.item.message };
  }
  return { refused: 'the conversation could not be rewound' };
}

/** The typed message (its number and text) whose turn recorded checkpoint `id`, from the session's records. */
export function messageOfCheckpoint(records: SessionRecord[], id: string): { index: number; text: string } | undefined {
  const entries = loadCore().replaySession(records) as ReplayEntry[];
  for (const e of entries) {
    if (e.kind === 'user' && e.checkpoint === id) return { index: e.index, text: e.text };
  }
  return undefined;
}

export interface FileRewind {
  /** The message rewound to (what the person may send again, edited). */
  index: number;
  text: string;
}

/**
 * Prepares rewinding session `sessionId` (in `store`, not open anywhere) to just before the message
 * whose turn recorded checkpoint `checkpointId`. Throws a plain reason when it cannot (no such message
 * in that session, compacted since, a damaged file) — before anything is written. `commit` appends
 * the rewind to the file.
 */
export async function planFileRewind(
  store: SessionStore,
  sessionId: string,
  checkpointId: string,
): Promise<FileRewind & { commit: () => Promise<void> }> {
  const records = (await store.read(sessionId)) as SessionRecord[];
  const first = records[0];
  if (!first || first.type !== 'meta') throw new Error(`session ${sessionId}: the file does not start with its meta record`);
  const message = messageOfCheckpoint(records, checkpointId);
  if (!message) {
    throw new Error(`checkpoint ${checkpointId} belongs to no message of session ${sessionId} that is still in its conversation (already rewound past it?)`);
  }
  const config: AgentConfig = first.config;
  const core = restoreCoreSession(config, records);
  const effects = core.handle({ type: 'rewind', toUserMessage: message.index } satisfies SessionEvent) as Effect[];
  const outcome = rewindOutcome(effects);
  if (typeof outcome !== 'string') throw new Error(outcome.refused);
  const persist = effects.flatMap((e) => (e.type === 'persist' ? [e.record] : []));
  return {
    ...message,
    commit: async () => {
      for (const r of persist) await store.append(sessionId, r);
    },
  };
}
