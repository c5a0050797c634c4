import sodium from 'sodium-native'
import { asBuffer, asUint8Array, checkBytes, incrementNonce } from './bytes.js'
import {
  BOXED_HEADER_BYTES,
  HEADER_PLAINTEXT_BYTES,
  KEY_BYTES,
  MAC_BYTES,
  MAX_BOX_BODY_BYTES,
  NONCE_BYTES,
} from './constants.js'
import { BoxStreamError } from './errors.js'

/**
 * Pushes of at least this many bytes decrypt into a shared ARENA_BYTES buffer (bulk traffic);
 * smaller ones into a buffer of their own, or, right after bulk ones, into the shared buffer
 * (the tail of a burst), which is then let go.
 */
const ARENA_FROM_BYTES = 16 * 1024
const ARENA_BYTES = 256 * 1024

export interface Unboxer {
  /**
   * Feeds wire bytes, in chunks of any size, and returns the plaintext of every box they
   * complete (none, one chunk, or two where a shared buffer filled up). Bytes after the goodbye
   * are ignored. `bytes` is not kept (the caller may reuse it); the chunks returned are never
   * written again. Pushes of 16 KiB or more decrypt back to back into a shared 256 KiB buffer,
   * so consecutive chunks are adjacent views of it (a reader can take what spans them as one
   * view); smaller pushes get a buffer of their own, except the first one after bulk pushes
   * (typically the tail of the burst), which goes on in the shared buffer so that what spans
   * them stays one view; the unboxer lets go of the shared buffer then, so an idle connection
   * holds none.
   * Throws BoxStreamError; once it has thrown, every later call throws the same error.
   */
  push(bytes: Uint8Array): Uint8Array[]
  /** Declares the input finished: throws BOX_UNEXPECTED_END unless the goodbye was seen. */
  end(): void
  /** True once the goodbye has been read. */
  readonly ended: boolean
  /** Wire bytes held while waiting for the rest of a header or body (< 4096). */
  readonly buffered: number
}

/**
 * Reader half of a box stream. Holds at most one partial header or body: input is decrypted
 * straight from the caller's chunk, and only an incomplete tail is copied.
 */
export function createUnboxer(key: Uint8Array, nonce: Uint8Array): Unboxer {
  checkBytes(key, KEY_BYTES, 'createUnboxer key')
  checkBytes(nonce, NONCE_BYTES, 'createUnboxer nonce')
  const secret = Buffer.from(key)
  const headerNonce = Buffer.from(nonce)
  const bodyNonce = Buffer.alloc(NONCE_BYTES)
  const header = Buffer.alloc(HEADER_PLAINTEXT_BYTES)
  const bodyMac = Buffer.alloc(MAC_BYTES)
  const pending = Buffer.alloc(MAX_BOX_BODY_BYTES)
  let pendingLength = 0
  let arena: Buffer | null = null
  let arenaUsed = 0
  // -1 while waiting for a header, else the body length announced by the last header.
  let bodyLength = -1
  let ended = false
  let failure: BoxStreamError | undefined

  const fail = (err: BoxStreamError): never => {
    failure = err
    wipe()
    throw err
  }

  const wipe = (): void => {
    sodium.sodium_memzero(secret)
    sodium.sodium_memzero(pending)
    pendingLength = 0
  }

  const openHeader = (boxed: Buffer): void => {
    if (!sodium.crypto_secretbox_open_easy(header, boxed, headerNonce, secret)) {
      fail(new BoxStreamError('BOX_BAD_HEADER', 'box stream header failed to authenticate'))
    }
    if (isZero(header)) {
      ended = true
      wipe()
      return
    }
    const length = header.readUInt16BE(0)
    if (length > MAX_BOX_BODY_BYTES) {
      fail(new BoxStreamError('BOX_TOO_LONG', `box stream header claims ${length} bytes (max ${MAX_BOX_BODY_BYTES})`))
    }
    header.copy(bodyMac, 0, 2)
    bodyLength = length
  }

  const openBody = (cipher: Buffer, plain: Buffer): void => {
    bodyNonce.set(headerNonce)
    incrementNonce(bodyNonce)
    if (!sodium.crypto_secretbox_open_detached(plain, cipher, bodyMac, bodyNonce, secret)) {
      fail(new BoxStreamError('BOX_BAD_BODY', 'box stream body failed to authenticate'))
    }
    headerNonce.set(bodyNonce)
    incrementNonce(headerNonce)
    bodyLength = -1
  }

  return {
    get ended() {
      return ended
    },
    get buffered() {
      return pendingLength
    },

    push(bytes) {
      if (failure) throw failure
      const out: Uint8Array[] = []
      if (ended) return out
      const input = asBuffer(bytes)
      // Plaintext goes to the arena, back to back: consecutive chunks are contiguous views of
      // one buffer, so a reader can take an RPC frame that spans pushes as a view, not a copy.
      // A push whose plaintext is small goes on in the arena if there is one with room (the
      // tail of a burst: a frame that spans the last bulk push and it stays one view) and lets
      // go of it afterwards, so an idle connection holds none; else it gets its own buffer.
      const bound = pendingLength + input.length
      const small = bound < ARENA_FROM_BYTES
      if (small && arena !== null && arena.length - arenaUsed < bound) {
        arena = null
        arenaUsed = 0
      }
      let offset = 0
      let outStart = arenaUsed
      while (!ended) {
        const need = bodyLength < 0 ? BOXED_HEADER_BYTES : bodyLength
        let unit: Buffer
        if (pendingLength === 0 && input.length - offset >= need) {
          unit = input.subarray(offset, offset + need)
          offset += need
        } else {
          const take = Math.min(need - pendingLength, input.length - offset)
          input.copy(pending, pendingLength, offset, offset + take)
          pendingLength += take
          offset += take
          if (pendingLength < need) break
          unit = pending.subarray(0, need)
          pendingLength = 0
        }
        if (bodyLength < 0) {
          openHeader(unit)
          continue
        }
        if (arena === null || arena.length - arenaUsed < unit.length) {
          if (arena !== null && arenaUsed > outStart) out.push(asUint8Array(arena.subarray(outStart, arenaUsed)))
          arena = Buffer.allocUnsafeSlow(small ? bound : ARENA_BYTES)
          arenaUsed = 0
          outStart = 0
        }
        openBody(unit, arena.subarray(arenaUsed, arenaUsed + unit.length))
        arenaUsed += unit.length
      }
      if (arena !== null && arenaUsed > outStart) out.push(asUint8Array(arena.subarray(outStart, arenaUsed)))
      if (small || ended) arena = null
      return out
    },

    end() {
      if (failure) throw failure
      if (!ended) fail(new BoxStreamError('BOX_UNEXPECTED_END', 'box stream ended without a goodbye'))
    },
  }
}

function isZero(bytes: Uint8Array): boolean {
  let acc = 0
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!
  return acc === 0
}
