/**
 * A Bloom filter of the command ids a session has seen ({sender}\0{cid}). Idempotency needs a
 * store look-up per command [HOST-IDEM-1]; almost every command is new, and "certainly new" is
 * what a Bloom filter answers without the store. "Maybe seen" (under 1% of new ids, and every
 * real repeat) still asks the store, so the answer stays exact. It grows as a scalable Bloom
 * filter: when a layer is full a layer twice its size is added, so it never rescans the store.
 */
class Layer {
  readonly bits: Uint32Array;
  readonly mask: number;
  count = 0;

  /** Room for `capacity` ids with at least `bitsPerId` bits each (7 probes: 10 bits give about 1% false positives, 16 bits 0.1%). */
  constructor(
    readonly capacity: number,
    bitsPerId = 10,
  ) {
    let size = 1024;
    while (size < capacity * bitsPerId) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  add(h1: number, h2: number): void {
    for (let i = 0; i < 7; i++) {
      const bit = (h1 + i * h2) & this.mask;
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    this.count++;
  }

  has(h1: number, h2: number): boolean {
    for (let i = 0; i < 7; i++) {
      const bit = (h1 + i * h2) & this.mask;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

export class IdFilter {
  private readonly layers: Layer[];

  /** Starts with room for `capacity` ids (a new session: 100 ids in 128 bytes). */
  constructor(capacity = 100) {
    this.layers = [new Layer(capacity)];
  }

  /** Ids added so far. */
  get size(): number {
    return this.layers.reduce((n, l) => n + l.count, 0);
  }

  /** Bytes of bit arrays held. */
  get bytes(): number {
    return this.layers.reduce((n, l) => n + l.bits.byteLength, 0);
  }

  add(key: string): void {
    let last = this.layers[this.layers.length - 1]!;
    // Later layers are sparser, so that the false positives of all layers add up to a few percent.
    if (last.count >= last.capacity) this.layers.push((last = new Layer(last.capacity * 2, 16)));
    const [h1, h2] = hashes(key);
    last.add(h1, h2);
  }

  mayHave(key: string): boolean {
    const [h1, h2] = hashes(key);
    for (const l of this.layers) if (l.has(h1, h2)) return true;
    return false;
  }
}

/** Two 32-bit hashes (FNV-1a and a multiplicative one) for double hashing. */
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
