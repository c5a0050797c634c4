// muxrpc 8 ships no types; this covers the part @ssb/rpc uses.
declare module 'muxrpc' {
  import type { EventEmitter } from 'node:events'
  import type pull from 'pull-stream'

  type Item = unknown
  export interface MuxrpcStream {
    source: pull.Source<Item>
    sink: pull.Sink<Item>
    remoteCall(type: string, name: string | string[], args: unknown[], cb: (err: unknown, value?: unknown) => void): unknown
    close(err: unknown, cb?: (err?: unknown) => void): void
    isOpen(): boolean
    closed: boolean
  }
  export interface MuxrpcPerms {
    pre(name: unknown, args?: unknown): Error | undefined
    test(name: unknown): Error | undefined
    post(): void
  }
  export interface Muxrpc extends EventEmitter {
    stream: MuxrpcStream
    closed: boolean
    close(err?: unknown, cb?: (err?: unknown) => void): this
  }
  export type Codec = (stream: { source: pull.Source<Item>; sink: pull.Sink<Item> }, debug: unknown) => {
    source: pull.Source<Item>
    sink: pull.Sink<Item>
  }
  function createMuxrpc(
    remoteManifest: object | null,
    localManifest: object | null,
    localApi?: object | null,
    perms?: MuxrpcPerms | null,
    codec?: Codec,
  ): Muxrpc
  export default createMuxrpc
}
