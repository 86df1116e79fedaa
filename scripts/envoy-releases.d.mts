// Types of envoy-releases.mjs, for the tests that import it.
export declare const PINNED: string;
export declare const OLDEST: string;
export declare function envoyDir(version: string): string;
export declare function envoyBinFor(version: string): string;
