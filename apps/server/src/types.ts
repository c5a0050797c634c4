export interface IndexProgress {
  start: number
  current: number
  target: number
}

export interface ServerProgress {
  indexes: IndexProgress
  [name: string]: unknown
}

export interface ServerStatus {
  progress: ServerProgress
  db: { path: string }
  sync: { since: number; plugins: Record<string, number>; sync: boolean }
  connections: Array<{ id: string; address: string; direction: 'in' | 'out'; transport: string; since: number }>
  [name: string]: unknown
}
