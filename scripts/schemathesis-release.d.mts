// Types of schemathesis-release.mjs, for the test that imports it.
export declare const SCHEMATHESIS_VERSION: string;
export declare function schemathesisVenv(): string;
export declare function schemathesisBin(): string;
