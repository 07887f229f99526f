/**
 * The playground in a real browser (`npm run bench -- --filter playground`): how many times real
 * time a 5-member cluster at 100 ops/s plays while drawn (the target: 50×), the frames per
 * second meanwhile, and the same session stepped without drawing. Read from Chromium: wall clock,
 * and per CPU second of the renderer process (CDP SystemInfo.getProcessInfo) — on a shared machine
 * the wall-clock figures are low by the load factor, the CPU ones are what one free core gives.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlayground } from '../bin/playground.js';
import { measurePlaySpeed } from '../playground/testing/speed.js';
import { launchChromium } from '../reports/testing/chromium.js';
import type { Benchmark, Figure } from './run.js';

export const benchmarks: Benchmark[] = [
  {
    name: 'playground.play_5x100',
    async run(): Promise<Figure[]> {
      const html = await buildPlayground(join(mkdtempSync(join(tmpdir(), 'raftsim-pg-')), 'playground.html'));
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1024, height: 900 } });
        const s = await measurePlaySpeed(page, html, 5);
        return [
          { bench: 'playground.play_5x100.drawn_x_realtime', value: s.drawnPerReal, unit: 'virtual s per real s' },
          { bench: 'playground.play_5x100.drawn_x_renderer_cpu', value: s.drawnPerCpu, unit: 'virtual s per renderer CPU s' },
          { bench: 'playground.play_5x100.frames_per_s', value: s.framesPerS, unit: 'frames/s' },
          { bench: 'playground.play_5x100.undrawn_x_realtime', value: s.undrawnPerReal, unit: 'virtual s per real s' },
          { bench: 'playground.play_5x100.undrawn_x_renderer_cpu', value: s.undrawnPerCpu, unit: 'virtual s per renderer CPU s' },
          { bench: 'playground.play_5x100.cpu_share_of_wall', value: s.rendererCpuS / s.realS, unit: 'renderer CPU s per real s (1 = a core of its own)' },
        ];
      } finally {
        await browser.close();
      }
    },
  },
];
