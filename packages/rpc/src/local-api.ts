import type pull from 'pull-stream'
import type { CallTracker, StreamClaim } from './call-tracker.js'
import { RpcError, toWireError } from './errors.js'
import { encodeBody } from './frame-codec.js'
import { IterableSource } from './iterable-source.js'
import { PullIterator } from './pull-iterator.js'
import type {
  Api,
  AsyncHandler,
  CallContext,
  CallInfo,
  CallType,
  DuplexHandler,
  Handler,
  Logger,
  Manifest,
  RpcConnection,
  SinkHandler,
  SourceHandler,
  Streamable,
} from './types.js'

/** A call being served; `terminate()` ends it from our side (graceful close). */
export interface ActiveCall {
  terminate(): void
  abort(): void
}

export interface LocalApiDeps {
  tracker: CallTracker
  gate: () => Promise<void> | null
  logger: Logger
  context: CallContext
  connection: () => RpcConnection
  isClosed: () => boolean
  track: (call: ActiveCall) => () => void
}

type MuxFn = (...args: unknown[]) => unknown
export interface MuxTree {
  [name: string]: MuxFn | MuxTree
}
export interface MuxManifest {
  [name: string]: string | MuxManifest
}

const CALL_TYPES = new Set<string>(['async', 'sync', 'source', 'sink', 'duplex'])

/**
 * Builds the manifest and api muxrpc dispatches to: one wrapper per manifest leaf that adapts
 * our Promise/AsyncIterable handlers to muxrpc's callbacks and pull-streams, never lets an
 * exception or an unexposed error message reach muxrpc, and registers the call for close().
 * `sync` is served as `async` (identical on the wire, and lets handlers return promises).
 */
export function buildLocalApi(manifest: Manifest, api: Api, deps: LocalApiDeps): { manifest: MuxManifest; api: MuxTree } {
  const muxManifest: MuxManifest = Object.create(null) as MuxManifest
  const muxApi: MuxTree = Object.create(null) as MuxTree
  walk(manifest, api, [], muxManifest, muxApi, deps)
  return { manifest: muxManifest, api: muxApi }
}

function walk(m: Manifest, api: Api | undefined, path: string[], outM: MuxManifest, outA: MuxTree, deps: LocalApiDeps): void {
  for (const key of Object.keys(m)) {
    const entry = m[key]!
    const here = [...path, key]
    const impl = api?.[key]
    if (typeof entry === 'object' && entry !== null) {
      const subM = Object.create(null) as MuxManifest
      const subA = Object.create(null) as MuxTree
      walk(entry, typeof impl === 'object' ? impl : undefined, here, subM, subA, deps)
      outM[key] = subM
      outA[key] = subA
      continue
    }
    if (!CALL_TYPES.has(entry)) throw new RpcError('RPC_BAD_API', `manifest entry ${here.join('.')} has unknown type ${String(entry)}`)
    if (typeof impl !== 'function') throw new RpcError('RPC_BAD_API', `no handler for ${entry} method ${here.join('.')}`)
    outM[key] = entry === 'sync' ? 'async' : entry
    outA[key] = wrap(entry, impl, here, deps)
  }
}

function wrap(type: CallType, handler: Handler, name: string[], deps: LocalApiDeps): MuxFn {
  switch (type) {
    case 'async':
    case 'sync':
      return wrapAsync(handler, name, type, deps)
    case 'source':
      return wrapSource(handler as SourceHandler, name, deps)
    case 'sink':
      return wrapSink(handler as SinkHandler, name, deps)
    case 'duplex':
      return wrapDuplex(handler as DuplexHandler, name, deps)
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
}

function failure(deps: LocalApiDeps, name: string[], err: unknown): unknown {
  const wire = toWireError(err)
  if (wire.message === 'internal error') {
    deps.logger.error('rpc: handler failed', { method: name.join('.'), remoteId: deps.context.remoteId, err })
  }
  return wire
}

/**
 * The CallInfo for one incoming call. Its AbortController is created only if the handler reads
 * `signal` (most async handlers never do), and only then is the call tracked for close().
 */
function startCall(deps: LocalApiDeps, name: string[], type: CallType, terminate: (() => void) | null) {
  let controller: AbortController | null = null
  let abortReason: unknown = undefined
  let untrack: (() => void) | null = null
  let finished = false
  const abort = (reason: unknown): void => {
    if (controller === null) abortReason ??= reason
    else if (!controller.signal.aborted) controller.abort(reason)
  }
  const ensureTracked = (): void => {
    if (untrack !== null || finished) return
    untrack = deps.track({ terminate: terminate ?? (() => {}), abort: () => abort(new RpcError('RPC_CLOSED', 'connection closed')) })
  }
  const ctx = deps.context
  const info: CallInfo = {
    remoteId: ctx.remoteId,
    ...(ctx.isMaster === undefined ? {} : { isMaster: ctx.isMaster }),
    name,
    type,
    connection: deps.connection(),
    get signal(): AbortSignal {
      if (controller === null) {
        controller = new AbortController()
        if (abortReason !== undefined) controller.abort(abortReason)
        else if (deps.isClosed()) controller.abort(new RpcError('RPC_CLOSED', 'connection closed'))
        else ensureTracked()
      }
      return controller.signal
    },
  }
  if (terminate !== null) ensureTracked()
  const done = (): void => {
    finished = true
    untrack?.()
    untrack = null
  }
  return { info, abort, done }
}

function wrapAsync(handler: Handler, name: string[], type: CallType, deps: LocalApiDeps): MuxFn {
  return (...raw: unknown[]) => {
    const cb = raw.pop() as (err: unknown, value?: unknown) => void
    const { info, done } = startCall(deps, name, type, null)
    let settled = false
    const settle = (ok: boolean, v: unknown): void => {
      if (settled) return
      settled = true
      done()
      // After close packet-stream has nobody to answer to (and would console.error).
      if (deps.isClosed()) return
      if (!ok) return cb(failure(deps, name, v))
      // undefined goes as-is: packet-stream-codec then sends `false`, as JS servers do.
      if (v === undefined) return cb(null, undefined)
      let body: unknown
      try {
        body = encodeBody(v)
      } catch (err) {
        return cb(failure(deps, name, err))
      }
      cb(null, body)
    }
    try {
      const r = (handler as AsyncHandler)(raw, info)
      if (isThenable(r)) r.then((v) => settle(true, v), (e: unknown) => settle(false, e))
      else settle(true, r)
    } catch (err) {
      settle(false, err)
    }
  }
}

function wrapSource(handler: SourceHandler, name: string[], deps: LocalApiDeps): MuxFn {
  return (...args: unknown[]) => {
    let out: IterableSource | null = null
    const { info, abort, done } = startCall(deps, name, 'source', () => out?.finish())
    let result: Streamable | Promise<Streamable>
    try {
      result = handler(args, info)
    } catch (err) {
      result = Promise.reject(err)
    }
    out = new IterableSource(result, {
      gate: deps.gate,
      onError: (err) => failure(deps, name, err),
      onEnd: (reason) => {
        if (reason === 'aborted') abort(new RpcError('RPC_ABORTED', 'the peer ended the stream'))
        done()
      },
    })
    return out.source
  }
}

function wrapSink(handler: SinkHandler, name: string[], deps: LocalApiDeps): MuxFn {
  return (...args: unknown[]) => {
    const req = deps.tracker.deliveringReq
    // A handler that stops reading (e.g. a blob over the size limit) ends the stream with its
    // outcome below; aborting at once would send the caller END true, a success, first.
    const input = new PullIterator(null, { ownerAborts: true })
    const { info, abort, done } = startCall(deps, name, 'sink', () => {
      abort(new RpcError('RPC_CLOSED', 'connection closing'))
      input.terminate(new RpcError('RPC_CLOSED', 'connection closing'))
    })
    // Hold the caller's END until the handler settles, so our END carries its outcome.
    const claim: StreamClaim = {
      holdEnd: true,
      onPeerEnd: (value, delivered) => {
        if (value === true) input.endAfter(delivered)
      },
    }
    deps.tracker.claimInbound(req, claim)
    return (read: pull.Source<unknown>) => {
      input.setSource(read)
      let finished = false
      const finish = (endValue: unknown): void => {
        if (finished) return
        finished = true
        done()
        input.terminate()
        read(endValue as pull.Abort, () => {})
        deps.tracker.release(false, req)
      }
      try {
        const r = handler(args, info, input)
        if (isThenable(r)) r.then(() => finish(true), (err: unknown) => finish(failure(deps, name, err)))
        else finish(true)
      } catch (err) {
        finish(failure(deps, name, err))
      }
    }
  }
}

function wrapDuplex(handler: DuplexHandler, name: string[], deps: LocalApiDeps): MuxFn {
  return (...args: unknown[]) => {
    const req = deps.tracker.deliveringReq
    const input = new PullIterator(null)
    let out: IterableSource | null = null
    const { info, abort, done } = startCall(deps, name, 'duplex', () => out?.finish())
    let peerEnded = false
    const claim: StreamClaim = {
      holdEnd: true,
      // muxrpc semantics: either side's END ends the whole duplex.
      onPeerEnd: (value, delivered) => {
        if (value !== true) return
        peerEnded = true
        input.endAfter(delivered)
        out?.finish()
      },
    }
    deps.tracker.claimInbound(req, claim)
    let result: Streamable | Promise<Streamable>
    try {
      result = handler(args, info, input)
    } catch (err) {
      result = Promise.reject(err)
    }
    out = new IterableSource(result, {
      gate: deps.gate,
      onError: (err) => failure(deps, name, err),
      onEnd: (reason) => {
        // Once our END is out, muxrpc stops delivering to the input: finish it too.
        if (reason !== 'aborted' && !peerEnded) input.terminate()
        else abort(new RpcError('RPC_ABORTED', 'the peer ended the stream'))
        done()
        deps.tracker.release(false, req)
      },
    })
    return { source: out.source, sink: (read: pull.Source<unknown>) => input.setSource(read) }
  }
}
