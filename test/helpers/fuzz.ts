/**
 * A seeded PRNG and byte mutators for the login fuzz tests: the same seed replays the same cases.
 * @module
 */

/** mulberry32: tiny, fast and good enough to pick mutations; not for anything secret. */
export class Prng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n)
    for (let i = 0; i < n; i++) out[i] = this.int(256)
    return out
  }
}

/**
 * The seed every run of the suite uses unless told otherwise, so CI is repeatable (a failure it shows
 * shows again); `SKIFF_FUZZ_SEED=random` explores new cases, `SKIFF_FUZZ_SEED=<n>` replays one.
 */
const DEFAULT_SEED = 20261129

/** This run's seed (see DEFAULT_SEED). Print it with the results. */
export function fuzzSeed(): number {
  const given = process.env.SKIFF_FUZZ_SEED
  if (given === 'random') return (Date.now() ^ (process.pid << 16)) >>> 0
  if (given !== undefined && given !== '') return Number(given) >>> 0
  return DEFAULT_SEED
}

/** Fragments that mean something to a SCRAM or startup parser, to insert or splice in. */
const TOKENS = [
  ',',
  '=',
  '\0',
  'n,,',
  'y,,',
  'p=tls-server-end-point,,',
  'n,a=x,',
  'm=x,',
  'n=',
  'r=',
  'c=',
  'p=',
  ',p=',
  'biws',
  'eSws',
  '==',
  ' ',
  '\xff',
  '\x7f',
  'user\0',
  'database\0',
  'SCRAM-SHA-256\0',
  '\0\0\0\0',
  '\xff\xff\xff\xff',
].map((t) => Buffer.from(t, 'latin1'))

/** Values worth writing into an int32 length field. */
function interestingLength(rng: Prng, actual: number): number {
  return rng.pick([
    0,
    3,
    4,
    5,
    7,
    8,
    -1,
    -2,
    0x7fffffff,
    -0x80000000,
    actual - 1,
    actual + 1,
    actual + rng.int(64),
    Math.max(0, actual - rng.int(64)),
    1024,
    1025,
    10000,
    10001,
    65535,
    65536,
  ])
}

/** One mutation. `lengthAt` lists offsets of int32 length fields in `data`. */
function mutateOnce(rng: Prng, data: Buffer, lengthAt: readonly number[]): Buffer {
  const at = rng.int(data.length + 1)
  switch (rng.int(8)) {
    case 0: // flip one bit
      if (data.length === 0) return data
      return setByte(data, at % data.length, data[at % data.length]! ^ (1 << rng.int(8)))
    case 1: // overwrite a byte
      if (data.length === 0) return data
      return setByte(data, at % data.length, rng.int(256))
    case 2: // truncate
      return data.subarray(0, at)
    case 3: // delete a run
      return Buffer.concat([data.subarray(0, at), data.subarray(at + 1 + rng.int(16))])
    case 4: // insert a meaningful token
      return Buffer.concat([data.subarray(0, at), rng.pick(TOKENS), data.subarray(at)])
    case 5: // insert random bytes, sometimes many
      return Buffer.concat([
        data.subarray(0, at),
        rng.bytes(rng.chance(0.1) ? rng.int(3000) : 1 + rng.int(8)),
        data.subarray(at),
      ])
    case 6: // repeat a run
      return Buffer.concat([data.subarray(0, at), data.subarray(at, at + 1 + rng.int(32)), data.subarray(at)])
    default: // change a length field
      return changeLength(rng, data, lengthAt)
  }
}

function setByte(data: Buffer, index: number, value: number): Buffer {
  const copy = Buffer.from(data)
  copy[index] = value
  return copy
}

function changeLength(rng: Prng, data: Buffer, lengthAt: readonly number[]): Buffer {
  const at = lengthAt.length > 0 ? rng.pick(lengthAt) : rng.int(Math.max(1, data.length - 3))
  if (at + 4 > data.length) return data
  const copy = Buffer.from(data)
  copy.writeInt32BE(interestingLength(rng, copy.readInt32BE(at)) | 0, at)
  return copy
}

/** 1 to 3 mutations of `data` (never in place). */
export function mutate(rng: Prng, data: Buffer, lengthAt: readonly number[] = []): Buffer {
  let out = data
  const n = 1 + rng.int(3)
  for (let i = 0; i < n; i++) out = mutateOnce(rng, out, i === 0 ? lengthAt : [])
  return out
}

/** Splits `data` into 1 to 6 chunks at random points. */
export function chunks(rng: Prng, data: Buffer): Buffer[] {
  const cuts = Array.from({ length: rng.int(6) }, () => rng.int(data.length + 1)).sort((a, b) => a - b)
  const out: Buffer[] = []
  let from = 0
  for (const cut of [...cuts, data.length]) {
    out.push(data.subarray(from, cut))
    from = cut
  }
  return out.filter((c) => c.length > 0)
}
