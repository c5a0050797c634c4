import type { MsgValue } from '@ssb/feed'
import { fromBase64, isFeedId, type Keys } from '@ssb/keys'
import { boxContent, createUnboxer, unboxContentWithKey } from '@ssb/private-box'
import type { Api, Manifest } from '@ssb/rpc'
import { badArgs, isPlainObject } from './args.js'
import type { Subsystem } from './subsystem.js'

/** ssb-server 16 / private-box: at most 7 recipients per message. */
export const MAX_RECIPIENTS = 7

/**
 * Encrypts `content` for its `recps` (protocol.md §14): a string recipient is wrapped in an
 * array; the author need not be listed (apps usually include themselves).
 */
export function boxForRecipients(content: Record<string, unknown>): string {
  const recps = typeof content.recps === 'string' ? [content.recps] : content.recps
  if (!Array.isArray(recps) || recps.length === 0) throw badArgs('private message needs at least one recipient in recps')
  if (recps.length > MAX_RECIPIENTS) throw badArgs(`private message has ${recps.length} recipients; at most ${MAX_RECIPIENTS}`)
  const ids = recps.map((r) => (isPlainObject(r) && typeof r.link === 'string' ? r.link : r))
  for (const id of ids) if (!isFeedId(id)) throw badArgs(`recps must be feed ids, got ${JSON.stringify(id)}`)
  return boxContent({ ...content, recps }, ids as string[])
}

export interface PrivateHooks {
  box(content: Record<string, unknown>): string
  unbox(value: MsgValue, readKey?: string): Record<string, unknown> | null
  /** Wipes the converted key; unbox must not be called afterwards. */
  close(): void
}

/** The db's unbox hook: our key (converted once), or an explicit `?unbox=` read key. */
export function createPrivateHooks(keys: Keys): PrivateHooks {
  const unboxer = createUnboxer(keys.secretKey)
  return {
    box: boxForRecipients,
    unbox(value: MsgValue, readKey?: string): Record<string, unknown> | null {
      if (typeof value.content !== 'string') return null
      if (readKey) {
        try {
          return unboxContentWithKey(value.content, fromBase64(readKey))
        } catch {
          return null
        }
      }
      return unboxer.unboxContent(value.content)
    },
    close: () => unboxer.destroy(),
  }
}

export const PRIVATE_MANIFEST: Manifest = { private: { publish: 'async', unbox: 'sync' }, private1: { unbox: 'sync' } }

/** `private.publish` / `private.unbox` as older sbot offered them (ssb-server 16 boxes via publish). */
export function createPrivate(deps: { publish: (content: Record<string, unknown>) => Promise<unknown>; unbox: (box: string) => Record<string, unknown> | null }): Subsystem {
  const unbox = (args: unknown[]) => {
    const a = args[0]
    const text = typeof a === 'string' ? a : isPlainObject(a) && typeof a.content === 'string' ? a.content : undefined
    if (text === undefined) throw badArgs('private.unbox: expected a .box string or a message value')
    return deps.unbox(text)
  }
  const api: Api = {
    private: {
      publish: (args: unknown[]) => {
        const [content, recps] = args
        if (!isPlainObject(content)) throw badArgs('private.publish: content must be an object')
        return deps.publish({ ...content, recps: recps ?? content.recps })
      },
      unbox,
    },
    private1: { unbox },
  }
  return {
    name: 'private',
    manifest: PRIVATE_MANIFEST,
    api,
  }
}
