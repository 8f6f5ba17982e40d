// The JSONL session store's public surface.
export { defaultSessionsDir, SessionNotFoundError, SessionStore, type LoadedSession, type SessionMetaInput, type SessionStoreOptions, type SessionSummary } from './store';
