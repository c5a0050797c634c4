// A worked example plugin: an index of #hashtags in posts, with RPC methods to read it.
// It uses only the public API of @ssb/server (the `Plugin` shape and `server.db`), so it works
// the same when loaded from a config file (`"plugins": ["/path/to/tags-plugin.js"]`) or added
// in code with `Server.use(tagsPlugin)`.
//
//   tags.list()         sync    [{ tag, count }] most used first       (anyone may call it)
//   tags.count(tag)     async   how many messages carry #tag            (master only)
//   tags.messages(tag)  source  those messages as { key, value, timestamp }, oldest first
//
// The index lives in memory and is rebuilt from the log at start-up, then follows new messages
// live. That is the right trade for a small index; a big one would keep a checkpoint on disk.
import type { Plugin, PluginCallContext, SsbServer } from '@ssb/server'

/** Longest tag kept (longer words are not tags but noise or abuse). */
const MAX_TAG_LENGTH = 64
/** Tags taken from one message, so one huge post cannot flood the index. */
const MAX_TAGS_PER_MESSAGE = 32
const TAG_RE = /(?:^|\s)#([\p{L}\p{N}_-]{1,64})/gu

interface Kvt {
  key: string
  value: { content: unknown }
  timestamp: number
}

/** The tags in a post's text, lower-cased and deduplicated. */
export function tagsOf(content: unknown): string[] {
  if (typeof content !== 'object' || content === null) return []
  const { type, text } = content as { type?: unknown; text?: unknown }
  if (type !== 'post' || typeof text !== 'string') return []
  const tags = new Set<string>()
  for (const m of text.matchAll(TAG_RE)) {
    const tag = m[1]!.toLowerCase()
    if (tag.length <= MAX_TAG_LENGTH) tags.add(tag)
    if (tags.size >= MAX_TAGS_PER_MESSAGE) break
  }
  return [...tags]
}

function tagArg(tag: unknown): string {
  if (typeof tag !== 'string' || tag.length === 0) throw new TypeError('expected a tag, like "ssb" or "#ssb"')
  return tag.replace(/^#/, '').toLowerCase()
}

export const tagsPlugin: Plugin = {
  name: 'tags',
  version: '1.0.0',
  manifest: { list: 'sync', count: 'async', messages: 'source' },
  permissions: { anonymous: { allow: ['list'] } },
  init(server: SsbServer) {
    const byTag = new Map<string, string[]>()
    const abort = new AbortController()
    // Old messages first, then every new one as it is stored (published or replicated).
    const following = (async () => {
      for await (const item of server.db.createLogStream({ old: true, live: true, signal: abort.signal })) {
        const kvt = item as Kvt
        if (typeof kvt?.key !== 'string') continue
        for (const tag of tagsOf(kvt.value.content)) {
          const keys = byTag.get(tag)
          if (keys) keys.push(kvt.key)
          else byTag.set(tag, [kvt.key])
        }
      }
    })().catch((err: unknown) => {
      if (!abort.signal.aborted) server.logger.error('tags index stopped', { err })
    })

    return {
      list: () =>
        [...byTag.entries()]
          .map(([tag, keys]) => ({ tag, count: keys.length }))
          .sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag)),
      count: async (tag: unknown) => byTag.get(tagArg(tag))?.length ?? 0,
      messages: async function* (this: PluginCallContext | undefined, tag: unknown) {
        const keys = [...(byTag.get(tagArg(tag)) ?? [])]
        for (const key of keys) {
          if (this?.signal?.aborted) return
          yield await server.db.get({ id: key, meta: true })
        }
      },
      close: async () => {
        abort.abort()
        await following
      },
    }
  },
}

export default tagsPlugin
