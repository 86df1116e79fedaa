// The function-length rule of scripts/check-structure.mjs, on written-out sources.
import assert from 'node:assert/strict';
import { test } from 'node:test';
// @ts-expect-error: a plain .mjs script without type declarations
import { functionsOver } from '../../scripts/check-structure.mjs';

const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');

test('functions, methods and arrows over the limit are named with their first line and length', () => {
  const text = [
    `export function short(): void {\n${body(2)}\n}`,
    `export function long(): void {\n${body(4)}\n}`,
    `class Store {\n  write(): void {\n${body(4)}\n  }\n  #hidden(): void {\n${body(1)}\n  }\n}`,
    `const arrow = (x: number): number => {\n${body(3)}\n  return x;\n};`,
  ].join('\n');
  assert.deepEqual(functionsOver(text, 5), [
    { name: 'long', line: 5, lines: 6 },
    { name: 'write', line: 12, lines: 6 },
    { name: 'arrow', line: 22, lines: 6 },
  ]);
});
