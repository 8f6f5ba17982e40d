// Images into the chat: a clipboard image pasted into the input, and files dropped on the composer
// (from the OS as File objects; from VS Code's explorer as URIs, which the host reads). The bytes
// go to the host as base64; the host prepares them and answers with an `attachment` message.
import { MAX_ATTACHMENT_BYTES, type ImageAttachment, type ViewMessage } from '../shared/chat-protocol';

let localId = 0;

function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result ?? '');
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(file);
  });
}

/** Sends one file's bytes to the host, or shows why it was not sent. */
async function sendFile(file: File, name: string, post: (m: ViewMessage) => void, refuse: (a: ImageAttachment) => void): Promise<void> {
  if (file.size > MAX_ATTACHMENT_BYTES) {
    refuse({ id: `local_${localId++}`, name, error: `it is ${file.size} bytes; the limit is ${MAX_ATTACHMENT_BYTES}` });
    return;
  }
  try {
    post({ type: 'attachImage', name, data: await readBase64(file) });
  } catch (e) {
    refuse({ id: `local_${localId++}`, name, error: e instanceof Error ? e.message : String(e) });
  }
}

/** URIs from a drop: VS Code's own list first, then the standard one (comments skipped). */
function droppedUris(dt: DataTransfer): string[] {
  const raw = dt.getData('application/vnd.code.uri-list') || dt.getData('text/uri-list');
  return raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * Wires paste on `input` and drag-and-drop on `zone`. `refuse` shows a chip for a file refused
 * before it reached the host (too large, unreadable).
 */
export function installImageInput(input: HTMLElement, zone: HTMLElement, post: (m: ViewMessage) => void, refuse: (a: ImageAttachment) => void): void {
  input.addEventListener('paste', (e: ClipboardEvent) => {
    const items = Array.from(e.clipboardData?.items ?? []).filter((i) => i.kind === 'file' && i.type.startsWith('image/'));
    if (items.length === 0) return; // text pastes as usual
    e.preventDefault();
    for (const item of items) {
      const file = item.getAsFile();
      if (file) void sendFile(file, file.name && file.name !== 'image.png' ? file.name : 'pasted image', post, refuse);
    }
  });
  zone.addEventListener('dragover', (e: DragEvent) => {
    if (!e.dataTransfer) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('drop-target');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('drop-target'));
  zone.addEventListener('drop', (e: DragEvent) => {
    zone.classList.remove('drop-target');
    const dt = e.dataTransfer;
    if (!dt) return;
    e.preventDefault();
    const files = Array.from(dt.files ?? []);
    if (files.length > 0) {
      for (const f of files) void sendFile(f, f.name || 'dropped file', post, refuse);
      return;
    }
    const uris = droppedUris(dt).slice(0, 10);
    if (uris.length > 0) post({ type: 'attachFiles', uris });
  });
}
