import { describe, expect, it } from 'vitest';
import { stripControl } from '../../src/reporter.js';

describe('stripControl', () => {
  it.each([
    ['plain', 'plain'],
    ['\u001b[1;32mgreen\u001b[0m', 'green'],
    ['progress 10%\rprogress 100%', 'progress 100%'],
    ['keeps\ttabs\nand lines', 'keeps\ttabs\nand lines'],
    ['bell\u0007 and nul\u0000', 'bell and nul'],
    ['\u001b[2K\u001b[1Gredrawn', 'redrawn'],
  ])('%j → %j', (input, expected) => {
    expect(stripControl(input)).toBe(expected);
  });
});
