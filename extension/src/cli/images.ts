// `tack exec -i FILE`: the images the person attaches, read and made fit by the sidecar before the
// turn starts. A file that is not an image (or too large, or corrupt) stops the run with its reason.
import { ImageError, prepareImage, readImageFile, type ImageDetail } from '../host/images';
import type { SidecarClient } from '../host/sidecar';

/** The `data:` URLs of the images, in the order given. Throws an Error naming the file and why. */
export async function attachImages(files: string[], sidecar: SidecarClient, debug?: (line: string) => void, detail: ImageDetail = 'high'): Promise<string[]> {
  const urls: string[] = [];
  for (const file of files) {
    try {
      const img = await prepareImage(sidecar, readImageFile(file), detail);
      debug?.(`image: ${file}: ${img.sourceWidth}x${img.sourceHeight} -> ${img.width}x${img.height} ${img.mime}`);
      urls.push(img.dataUrl);
    } catch (err) {
      if (err instanceof ImageError) throw new Error(`--image ${file}: ${err.message}`, { cause: err });
      throw err;
    }
  }
  return urls;
}
