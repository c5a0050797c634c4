// Plain ESM JavaScript on purpose: worker_threads cannot load TypeScript, and this file ships
// as is in dist. It verifies Ed25519 signatures of jobs packed by job-buffer.ts:
// repeated [publicKey 32][signature 64][length u32le][signed text length bytes].
import { parentPort } from 'node:worker_threads'
import sodium from 'sodium-native'

const HEADER_BYTES = 100
const mac = Buffer.alloc(sodium.crypto_auth_BYTES)

parentPort.on('message', (job) => {
  const { id, buffer, count, hmacKey } = job
  const buf = Buffer.from(buffer)
  const key = hmacKey ? Buffer.from(hmacKey) : null
  let offset = 0
  let firstInvalid = -1
  for (let i = 0; i < count; i++) {
    const publicKey = buf.subarray(offset, offset + 32)
    const signature = buf.subarray(offset + 32, offset + 96)
    const length = buf.readUInt32LE(offset + 96)
    let data = buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length)
    offset += HEADER_BYTES + length
    if (key) {
      sodium.crypto_auth(mac, data, key)
      data = mac
    }
    if (!sodium.crypto_sign_verify_detached(signature, data, publicKey)) {
      firstInvalid = i
      break
    }
  }
  parentPort.postMessage({ id, firstInvalid, buffer }, [buffer])
})
