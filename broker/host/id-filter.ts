/**
 * A Bloom filter of the command ids a session has seen ({sender}\0{cid}). Idempotency needs a
 * store look-up per command [HOST-IDEM-1]; almost every command is new, and "certainly new" is
 * what a Bloom filter answers without the store. "Maybe seen" (about 1% of new ids, and every
 * real repeat) still asks the store, so the answer stays exact. The filter doubles, rebuilt from
 * the store, when it fills up.
 */
export class IdFilter {
  private bits: Uint32Array;
  private readonly mask: number;
  private count = 0;

  /** Room for `capacity` ids at about 1% false positives (10 bits and 7 probes per id). */
  constructor(readonly capacity: number) {
    let size = 1024;
    while (size < capacity * 10) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  add(key: string): void {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < 7; i++) {
      const bit = (h1 + i * h2) & this.mask;
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    this.count++;
  }

  mayHave(key: string): boolean {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < 7; i++) {
      const bit = (h1 + i * h2) & this.mask;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** Two independent 32-bit hashes (FNV-1a and a multiplicative one) for double hashing. */
function hashes(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [a >>> 0, (b | 1) >>> 0];
}
