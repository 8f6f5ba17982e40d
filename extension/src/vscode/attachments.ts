// Images the person attached to the next chat message (pasted, or dropped from the explorer or the
// OS): each is prepared by the sidecar at once (shrunk and re-encoded, or refused with the reason),
// its thumbnail goes back to the chat's chips, and `take` hands the prepared `data:` URLs to the turn.
import { fileURLToPath } from 'node:url';
import { ImageError, prepareImage, readImageFile } from '../host/images';
import type { SidecarClient } from '../host/sidecar';
import type { ImageAttachment } from '../shared/chat-protocol';
import { readSettings } from './settings';

/** How many prepared images are kept waiting for a message (older ones are dropped first). */
const MAX_WAITING = 20;

export class ImageAttachments {
  private readonly ready = new Map<string, string>();
  private next = 0;

  constructor(
    private readonly sidecar: () => SidecarClient,
    private readonly post: (a: ImageAttachment) => void,
  ) {}

  /** Bytes from the clipboard or an OS drop (base64, as the view sent them). */
  async attachBytes(name: string, base64: string): Promise<void> {
    await this.prepare(name, () => Buffer.from(base64, 'base64'));
  }

  /** Files dropped on the chat, as URIs: only `file:` URIs are read (the person chose them). */
  async attachFiles(uris: string[]): Promise<void> {
    for (const uri of uris) {
      let file: string;
      try {
        if (!uri.startsWith('file:')) throw new ImageError('only files on this machine can be attached');
        file = fileURLToPath(uri);
      } catch (e) {
        this.post({ id: this.newId(), name: uri.split('/').pop() || uri, error: e instanceof Error ? e.message : String(e) });
        continue;
      }
      await this.prepare(file.split(/[\\/]/).pop() || file, () => readImageFile(file));
    }
  }

  /** The prepared images with these ids, in order; each is given once. Unknown ids are skipped. */
  take(ids: string[]): string[] {
    const urls: string[] = [];
    for (const id of ids) {
      const url = this.ready.get(id);
      if (url !== undefined) urls.push(url);
      this.ready.delete(id);
    }
    return urls;
  }

  clear(): void {
    this.ready.clear();
  }

  private newId(): string {
    return `img_${this.next++}`;
  }

  private async prepare(name: string, read: () => Buffer): Promise<void> {
    const id = this.newId();
    try {
      const img = await prepareImage(this.sidecar(), read(), readSettings().imageDetail);
      this.ready.set(id, img.dataUrl);
      while (this.ready.size > MAX_WAITING) this.ready.delete(this.ready.keys().next().value as string);
      this.post({ id, name, thumbnail: img.dataUrl, width: img.width, height: img.height });
    } catch (e) {
      this.post({ id, name, error: e instanceof Error ? e.message : String(e) });
    }
  }
}
