// Images on their way to the model: the bytes of a file (view_image, `tack exec -i`, a drop) or a
// pasted clipboard image are decoded, shrunk and re-encoded by the sidecar (`image/prepare`, see
// docs/sidecar-protocol.md) and become a `data:` URL for the user message. Shared by the CLI and VS
// Code; never imports `vscode`.
import fs from 'node:fs';
import type { SidecarClient } from './sidecar';
import { SidecarRpcError } from './sidecar';

/** The most bytes of an image file read at all (the sidecar shrinks what it decodes). */
export const MAX_IMAGE_FILE_BYTES = 20 * 1024 * 1024;
/** The longest edge sent at "high" detail (the default) and at "low" detail. */
export const MAX_EDGE_HIGH = 2048;
export const MAX_EDGE_LOW = 768;
/** The most bytes one encoded image may have. */
export const MAX_ENCODED_BYTES = 4 * 1024 * 1024;

export type ImageDetail = 'high' | 'low';

/** An image ready for a user message. */
export interface PreparedImage {
  dataUrl: string;
  mime: string;
  width: number;
  height: number;
  sourceWidth: number;
  sourceHeight: number;
}

/** Why an image was not sent, in words for the person or the model. */
export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

/** Decodes, shrinks and re-encodes `bytes` through the sidecar. Throws ImageError with the reason. */
export async function prepareImage(sidecar: SidecarClient, bytes: Buffer | Uint8Array, detail: ImageDetail = 'high'): Promise<PreparedImage> {
  if (bytes.length > MAX_IMAGE_FILE_BYTES) {
    throw new ImageError(`it is ${bytes.length} bytes; the limit is ${MAX_IMAGE_FILE_BYTES}`);
  }
  try {
    const r = await sidecar.prepareImage({
      data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      maxEdge: detail === 'low' ? MAX_EDGE_LOW : MAX_EDGE_HIGH,
      maxBytes: MAX_ENCODED_BYTES,
    });
    return {
      dataUrl: `data:${r.mime};base64,${r.data}`,
      mime: r.mime,
      width: r.width,
      height: r.height,
      sourceWidth: r.sourceWidth,
      sourceHeight: r.sourceHeight,
    };
  } catch (err) {
    if (err instanceof SidecarRpcError) throw new ImageError(err.message);
    throw err;
  }
}

/**
 * Reads an image file the person named (a CLI argument, a file dropped on the chat): a regular file
 * within the size cap, opened without blocking so a FIFO cannot hang it. The person chose the path,
 * so it may lie outside the workspace; it is read as they named it.
 */
export function readImageFile(file: string): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImageError(code === 'ENOENT' ? 'no such file' : `it cannot be read (${code ?? String(e)})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new ImageError('it is a directory');
    if (!st.isFile()) throw new ImageError('it is not a regular file');
    if (st.size > MAX_IMAGE_FILE_BYTES) throw new ImageError(`it is ${st.size} bytes; the limit is ${MAX_IMAGE_FILE_BYTES}`);
    const buf = Buffer.alloc(MAX_IMAGE_FILE_BYTES + 1);
    let total = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_IMAGE_FILE_BYTES) throw new ImageError(`it is larger than the limit of ${MAX_IMAGE_FILE_BYTES} bytes`);
    }
    return buf.subarray(0, total);
  } finally {
    fs.closeSync(fd);
  }
}
