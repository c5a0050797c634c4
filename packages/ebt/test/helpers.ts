import { createMessage, type FeedState, type MsgValue, validateBatch } from '@ssb/feed'
import { type FeedId, generateKeys, type Keys } from '@ssb/keys'
import { type AppendResult, type ClockStore, createEbt, type Ebt, type EbtOptions, type Logger, type VectorClock } from '../src/index.js'

/** An in-memory message store implementing what ebt needs, validating with @ssb/feed. */
export type Validate = typeof validateBatch

export class FakeStore {
  constructor(private readonly validate: (state: FeedState | null, values: MsgValue[]) => ReturnType<Validate> = validateBatch) {}
  readonly feeds = new Map<FeedId, { values: MsgValue[]; state: FeedState | null }>()
  private readonly listeners = new Set<(value: MsgValue) => void>()
  private readonly waiters = new Set<() => void>()
  appendCalls = 0
  appendedMessages = 0
  /** Offer `appendRuns` to the engine (several feeds per call), as the server does. */
  grouped = false
  appendRunsCalls = 0
  largestGroup = 0

  clock(): VectorClock {
    const clock: VectorClock = {}
    for (const [id, feed] of this.feeds) if (feed.values.length > 0) clock[id] = feed.values.length
    return clock
  }

  seq(id: FeedId): number {
    return this.feeds.get(id)?.values.length ?? 0
  }

  async append(values: MsgValue[]): Promise<AppendResult> {
    this.appendCalls++
    return this.store(values)
  }

  private async store(values: MsgValue[]): Promise<AppendResult> {
    if (values.length === 0) return { stored: [] }
    const author = values[0]!.author
    const feed = this.feeds.get(author) ?? { values: [], state: null }
    const result = await this.validate(feed.state, values)
    this.feeds.set(author, feed)
    const stored: MsgValue[] = []
    for (const { value } of result.valid) {
      feed.values.push(value)
      stored.push(value)
    }
    feed.state = result.state
    this.appendedMessages += stored.length
    for (const value of stored) this.emit(value)
    return result.error ? { stored, error: result.error } : { stored }
  }

  /** One call for several feeds' runs, each validated and stored as `append` would. */
  async appendRuns(runs: MsgValue[][]): Promise<AppendResult[]> {
    this.appendRunsCalls++
    this.largestGroup = Math.max(this.largestGroup, runs.reduce((n, r) => n + r.length, 0))
    const results: AppendResult[] = []
    for (const run of runs) results.push(await this.store(run))
    return results
  }

  /** Stores pre-validated messages without notifying (fixtures). */
  preload(values: MsgValue[], state: FeedState): void {
    const author = values[0]!.author
    const feed = this.feeds.get(author) ?? { values: [], state: null }
    feed.values.push(...values)
    feed.state = state
    this.feeds.set(author, feed)
  }

  publish(keys: Keys, content: object = { type: 'post', text: 'hi' }): MsgValue {
    const feed = this.feeds.get(keys.id) ?? { values: [], state: null }
    this.feeds.set(keys.id, feed)
    const { key, value } = createMessage(keys, feed.state, content, 1700000000000 + feed.values.length)
    feed.values.push(value)
    feed.state = { id: key, sequence: value.sequence, timestamp: value.timestamp }
    this.emit(value)
    return value
  }

  async *readFeed(id: FeedId, from: number, signal: AbortSignal): AsyncGenerator<MsgValue> {
    const values = this.feeds.get(id)?.values ?? []
    for (let seq = Math.max(from, 1); seq <= values.length && !signal.aborted; seq++) yield values[seq - 1]!
  }

  onAppend(listener: (value: MsgValue) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Resolves once `predicate()` holds, re-checked after every stored message. */
  until(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve()
    return new Promise((resolve) => {
      const check = (): void => {
        if (!predicate()) return
        this.waiters.delete(check)
        resolve()
      }
      this.waiters.add(check)
    })
  }

  private emit(value: MsgValue): void {
    for (const listener of this.listeners) listener(value)
    for (const waiter of [...this.waiters]) waiter()
  }
}

export class MemoryClockStore implements ClockStore {
  readonly clocks = new Map<FeedId, VectorClock>()
  async load(peerId: FeedId): Promise<VectorClock | null> {
    return this.clocks.get(peerId) ?? null
  }
  async save(peerId: FeedId, clock: VectorClock): Promise<void> {
    this.clocks.set(peerId, { ...clock })
  }
}

export interface LogLine {
  level: string
  msg: string
  ctx?: object
}

export function memoryLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const at = (level: string) => (msg: string, ctx?: object) => void lines.push({ level, msg, ctx })
  const logger = { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: () => {}, child: () => logger }
  return logger
}

export interface Node {
  keys: Keys
  id: FeedId
  store: FakeStore
  clocks: MemoryClockStore
  ebt: Ebt
  logger: ReturnType<typeof memoryLogger>
}

export function createNode(opts: EbtOptions = {}, keys: Keys = generateKeys(), store = new FakeStore(), clocks = new MemoryClockStore()): Node {
  const logger = memoryLogger()
  const ebt = createEbt(
    {
      id: keys.id,
      getClock: () => store.clock(),
      readFeed: (id, from, signal) => store.readFeed(id, from, signal),
      append: (values) => store.append(values),
      ...(store.grouped ? { appendRuns: (runs: MsgValue[][]) => store.appendRuns(runs) } : {}),
      onAppend: (listener) => store.onAppend(listener),
      clockStore: clocks,
      logger,
    },
    opts,
  )
  return { keys, id: keys.id, store, clocks, ebt, logger }
}

/** An async queue: the input side of a duplex. push() waits while `highWaterMark` items wait. */
export class Pushable<T> implements AsyncIterable<T> {
  private readonly items: T[] = []
  private ended = false
  private pull: (() => void) | null = null
  private space: (() => void) | null = null

  constructor(private readonly highWaterMark = Infinity) {}

  get length(): number {
    return this.items.length
  }

  async push(item: T): Promise<void> {
    while (this.items.length >= this.highWaterMark && !this.ended) {
      await new Promise<void>((resolve) => {
        this.space = resolve
      })
    }
    this.items.push(item)
    this.pull?.()
  }

  end(): void {
    this.ended = true
    this.pull?.()
    this.space?.()
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    while (true) {
      if (this.items.length > 0) {
        yield this.items.shift() as T
        this.space?.()
        continue
      }
      if (this.ended) return
      await new Promise<void>((resolve) => {
        this.pull = resolve
      })
      this.pull = null
    }
  }
}

/** Frames as they would cross the wire (JSON), recorded per direction. */
export interface Link {
  aToB: unknown[]
  bToA: unknown[]
  abort(): void
  /** Resolves when both directions have ended. */
  done: Promise<void>
}

/** Connects two engines in memory: `a` dials (client), `b` answers. */
export function connect(a: Node, b: Node, opts: { version?: number; highWaterMark?: number; record?: boolean } = {}): Link {
  const controller = new AbortController()
  const version = opts.version ?? 3
  const aIn = new Pushable<unknown>(opts.highWaterMark ?? 64)
  const bIn = new Pushable<unknown>(opts.highWaterMark ?? 64)
  const aOut = a.ebt.replicate(b.id, aIn, { isClient: true, version, signal: controller.signal })
  const bOut = b.ebt.replicate(a.id, bIn, { isClient: false, version, signal: controller.signal })
  const link: Link = { aToB: [], bToA: [], abort: () => controller.abort(), done: Promise.resolve() }
  const pump = async (from: AsyncIterable<unknown>, to: Pushable<unknown>, log: unknown[]): Promise<void> => {
    try {
      for await (const frame of from) {
        const wire = JSON.parse(JSON.stringify(frame)) as unknown
        if (opts.record !== false) log.push(wire)
        await to.push(wire)
      }
    } catch {
      // a stream that errors ends the other side's input too
    }
    to.end()
  }
  link.done = Promise.all([pump(aOut, bIn, link.aToB), pump(bOut, aIn, link.bToA)]).then(() => {})
  return link
}

/** Messages of a fresh feed, signed by `keys` (or a new identity). */
export function makeFeed(n: number, keys: Keys = generateKeys()): { keys: Keys; values: MsgValue[]; state: FeedState } {
  const values: MsgValue[] = []
  let state: FeedState | null = null
  for (let i = 0; i < n; i++) {
    const { key, value } = createMessage(keys, state, { type: 'post', text: `message ${i + 1}` }, 1700000000000 + i)
    values.push(value)
    state = { id: key, sequence: value.sequence, timestamp: value.timestamp }
  }
  return { keys, values, state: state as FeedState }
}
