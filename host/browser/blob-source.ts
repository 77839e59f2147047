/**
 * A `byte-source` over a Blob (or a File from a file picker), in the browser's engine worker:
 * each read takes one slice with `FileReaderSync` (workers only), so the component pulls the
 * Blob a chunk at a time and it is never held whole, in the worker or in the page.
 */
import { ByteSource } from '../engine/byte-source.js';
import { web } from './web.js';

/** A source over `blob`'s bytes. */
export function blobSource(blob: Blob): ByteSource {
  const reader = new web.FileReaderSync();
  return ByteSource.of(blob.size, (buffer, position) => {
    const bytes = new Uint8Array(reader.readAsArrayBuffer(blob.slice(position, position + buffer.length)));
    buffer.set(bytes);
    return bytes.length;
  });
}
