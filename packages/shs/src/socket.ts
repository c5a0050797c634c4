import type { Duplex } from 'node:stream'
import { createBoxDuplex, type BoxDuplexOptions, type SocketReads } from '@ssb/box-stream'
import { publicKeyToFeedId, type FeedId } from '@ssb/keys'
import { createClientHandshake } from './client.js'
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, MSG1_BYTES, MSG2_BYTES, MSG3_BYTES, MSG4_BYTES } from './constants.js'
import { ShsError } from './errors.js'
import { HandshakeIo, unexpectedEnd } from './handshake-io.js'
import { createServerHandshake } from './server.js'
import type { ClientHandshakeOptions, ServerHandshakeOptions, ShsResult } from './types.js'

export interface ShsSocketOptions {
  /** Whole-handshake timeout (default DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000). */
  timeoutMs?: number
  signal?: AbortSignal
  /** Options for the box-stream duplex returned on success. */
  boxStream?: BoxDuplexOptions
  /**
   * The socket's reads, if it was made with `onread: reads.onread` (a reused read buffer, see
   * @ssb/box-stream SocketReads): the handshake and then the box stream take their bytes there.
   */
  reads?: SocketReads
}

export interface ShsConnection {
  /** Plaintext duplex over the encrypted socket (see @ssb/box-stream createBoxDuplex). */
  stream: Duplex
  /** The peer's identity, `@<b64>.ed25519`. */
  remoteId: FeedId
  remotePublicKey: Uint8Array
}

/**
 * Runs the client side of SHS v1 on a connected socket, then wraps it in a box stream.
 * On failure the socket is destroyed and the promise rejects with a ShsError.
 */
export async function shsClient(socket: Duplex, opts: ClientHandshakeOptions & ShsSocketOptions): Promise<ShsConnection> {
  const io = new HandshakeIo(socket, opts.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, opts.signal, opts.reads)
  let handshake: ReturnType<typeof createClientHandshake> | undefined
  try {
    handshake = createClientHandshake(opts)
    io.write(handshake.createMsg1())
    const msg2 = await io.read(MSG2_BYTES, (received) =>
      received === 0
        ? new ShsError('SHS_WRONG_NETWORK', 'server hung up after msg1: it probably uses another network key')
        : unexpectedEnd(`server hung up in the middle of msg2 (${received} of ${MSG2_BYTES} bytes)`),
    )
    io.write(handshake.receiveMsg2(msg2))
    const msg4 = await io.read(MSG4_BYTES, (received) =>
      received === 0
        ? new ShsError('SHS_REJECTED', 'server hung up after msg3: wrong server key, or it does not authorize us')
        : unexpectedEnd(`server hung up in the middle of msg4 (${received} of ${MSG4_BYTES} bytes)`),
    )
    return connect(socket, io, handshake.receiveMsg4(msg4), opts)
  } catch (err) {
    throw abort(io, err, handshake)
  }
}

/**
 * Runs the server side of SHS v1 on an accepted socket, then wraps it in a box stream.
 * Nothing is sent unless msg1 verifies; msg4 is sent only after authorize() accepts.
 * On failure the socket is destroyed and the promise rejects with a ShsError.
 */
export async function shsServer(socket: Duplex, opts: ServerHandshakeOptions & ShsSocketOptions): Promise<ShsConnection> {
  const io = new HandshakeIo(socket, opts.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, opts.signal, opts.reads)
  let handshake: ReturnType<typeof createServerHandshake> | undefined
  try {
    handshake = createServerHandshake(opts)
    const msg1 = await io.read(MSG1_BYTES, (received) =>
      unexpectedEnd(`client hung up before completing msg1 (${received} of ${MSG1_BYTES} bytes)`),
    )
    io.write(handshake.receiveMsg1(msg1))
    const msg3 = await io.read(MSG3_BYTES, (received) =>
      unexpectedEnd(`client hung up before completing msg3 (${received} of ${MSG3_BYTES} bytes)`),
    )
    const { msg4, result } = await io.race(handshake.receiveMsg3(msg3))
    io.write(msg4)
    return connect(socket, io, result, opts)
  } catch (err) {
    throw abort(io, err, handshake)
  }
}

function connect(socket: Duplex, io: HandshakeIo, result: ShsResult, opts: ShsSocketOptions): ShsConnection {
  io.finish()
  const boxOpts = opts.reads ? { ...opts.boxStream, reads: opts.reads } : opts.boxStream
  const stream = createBoxDuplex(socket, result, boxOpts)
  // The box stream holds its own copies of the session keys.
  for (const key of [result.encryptKey, result.decryptKey]) key.fill(0)
  return { stream, remoteId: publicKeyToFeedId(result.remotePublicKey), remotePublicKey: result.remotePublicKey }
}

function abort(io: HandshakeIo, err: unknown, handshake?: { destroy(): void }): ShsError {
  const shsError =
    err instanceof ShsError ? err : new ShsError('SHS_UNEXPECTED_END', `handshake failed: ${String(err)}`, { cause: err })
  handshake?.destroy()
  io.fail(shsError)
  return shsError
}
