/**
 * CRC-32C (Castagnoli), the checksum of etcd's WAL and snapshot files (`pkg/crc`, Go's
 * `crc32.MakeTable(crc32.Castagnoli)`). Chosen over IEEE CRC-32 because it detects more error
 * patterns at the same width and is what etcd writes.
 *
 * `crc32cUpdate(crc, bytes)` continues a running checksum the way Go's `crc32.Update` does
 * (pre- and post-inversion inside), so `crc32cUpdate(crc32cUpdate(0, a), b)` equals
 * `crc32cUpdate(0, a ++ b)` — which is what lets the WAL chain one checksum over many records.
 */

/** Reflected polynomial of CRC-32C. */
const POLY_REFLECTED = 0x82f63b78;

const TABLE: Uint32Array = buildTable();

function buildTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** The running checksum `crc` (0 to start) extended over `bytes[from, to)`. An unsigned 32-bit integer. */
export function crc32cUpdate(crc: number, bytes: Uint8Array, from = 0, to = bytes.length): number {
  let c = ~crc >>> 0;
  for (let i = from; i < to; i++) c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** The CRC-32C of `bytes`. */
export function crc32c(bytes: Uint8Array): number {
  return crc32cUpdate(0, bytes);
}
