// Types of bench/report.mjs for the TypeScript tests that check it.
export interface Row { name: string; value: number | string; unit?: string; note?: string; digits?: number; baseline?: boolean }
export interface Machine { cpuModel: string; cpus: number; memoryGiB?: number; node: string; platform: string; loadStart: number[]; loadEnd: number[]; date: string; commit?: string }
export interface Results { machine: Machine; cases: Record<string, { rows: Row[]; error?: string }> }
export function isBaseline(row: Row): boolean;
export function formatValue(row: Row): string;
export function niceMax(max: number): number;
export function renderCaseSvg(name: string, rows: Row[], options?: { machine?: string }): string;
export function describeMachine(machine: Machine): string;
export function renderIndexHtml(results: Results): string;
