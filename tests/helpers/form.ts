/**
 * A multipart/form-data body as a browser's form encodes it (Node's own
 * FormData, undici): files as {bytes, type}, text fields as strings; the
 * Content-Type carries its boundary.
 */
export async function formBody(fields: Record<string, { bytes: Buffer; type: string } | string>): Promise<{ body: Buffer; contentType: string }> {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string') data.append(key, value);
    else data.append(key, new Blob([new Uint8Array(value.bytes)], { type: value.type }), 'upload.bin');
  }
  const encoded = new Response(data);
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}
