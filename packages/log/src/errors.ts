export type LogErrorCode =
  /** Another live process (or another Log in this process) holds the directory lock. */
  | 'LOG_LOCKED'
  /** No record starts at the given offset (out of range, or not a record boundary). */
  | 'LOG_BAD_OFFSET'
  /** A record failed its checksum: the file was damaged on disk. */
  | 'LOG_CORRUPT'
  /** The log is closed (or closing). */
  | 'LOG_CLOSED'
  /** A record is larger than the maximum record size. */
  | 'LOG_TOO_LARGE'
  /** A caller passed a value of the wrong type or range. */
  | 'LOG_INVALID_ARGUMENT'
  /** compact() was aborted through its signal; the log is unchanged. */
  | 'LOG_ABORTED'
  /** A stream was open while compact() changed every offset; restart it from the new generation. */
  | 'LOG_COMPACTED'
  /** A write or fsync failed; the log refuses further writes until it is reopened. */
  | 'LOG_WRITE_FAILED'
  /** A read, or opening the log, failed with an I/O error (see `cause`). */
  | 'LOG_IO'
  /** The directory holds a file that is not a log of a version we know. */
  | 'LOG_UNSUPPORTED_FORMAT'

export class LogError extends Error {
  override name = 'LogError'
  /** The record offset concerned, when there is one. */
  readonly offset: number | undefined

  constructor(
    readonly code: LogErrorCode,
    message: string,
    options?: ErrorOptions & { offset?: number },
  ) {
    super(message, options)
    this.offset = options?.offset
  }
}
