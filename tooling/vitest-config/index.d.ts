import type { UserConfig } from 'vitest/config'
export declare const SOURCE_CONDITION: '@ssb/source'
export declare const baseConfig: UserConfig
export declare function packageVitestConfig(overrides?: UserConfig): UserConfig
export declare class SummaryReporter {}
