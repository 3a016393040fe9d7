import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BrokerInfo } from './broker.ts';
import type { ScenarioResult } from './result.ts';

const dir = fileURLToPath(new URL('../../../../bench-results/', import.meta.url));

export interface Report {
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly command: string;
  readonly durationSeconds: number;
  readonly rounds: number;
  readonly machine: Record<string, unknown>;
  readonly loadAverageAtEnd: readonly number[];
  readonly conditions: string;
  readonly broker: BrokerInfo;
  /** How the Go baseline's binary came to be: cached, built in this run, or skipped. */
  readonly goBaseline: string;
  readonly results: readonly ScenarioResult[];
}

function formatValue(value: number, unit: string): string {
  const text = unit.startsWith('msg/') ? Math.round(value).toLocaleString('en-US') : String(value);
  return `${text} ${unit}`;
}

function brokerLine(broker: BrokerInfo): string {
  const jvm = broker.jvmFlags
    ? broker.jvmFlags.join(' ')
    : 'JVM flags unknown (not a local kafka.sh broker)';
  const jit =
    broker.tieredStopAtLevel1 === undefined
      ? ''
      : broker.tieredStopAtLevel1
        ? ' (C1 only: quick-start tuning)'
        : ' (full tiered JIT)';
  return `Broker: Kafka ${broker.kafkaVersion ?? '?'} at ${broker.brokers.join(',')}, ${broker.source}; JVM ${jvm}${jit}. ${broker.note}.`;
}

/** The results as a Markdown table (the one the README shows). */
export function markdown(report: Report): string {
  const m = report.machine;
  const rows: string[] = [];
  for (const r of report.results) {
    for (const f of r.figures) {
      const s = f.spread ? `${f.spread.min}-${f.spread.max} (${f.spread.spreadPct}%)` : '';
      rows.push(`| ${r.scenario} | ${f.label} | ${formatValue(f.value, f.unit)} | ${s} |`);
    }
  }
  const targets = report.results.flatMap((r) =>
    r.targets.map(
      (t) =>
        `| ${t.name} | ${t.measure} | ${t.value} | ${t.op} ${t.bound} | ${t.met ? 'met' : '**missed**'} |`,
    ),
  );
  return [
    `# Benchmark (${report.mode}, ${report.date})`,
    '',
    `\`${report.command}\`: ${report.durationSeconds} s; medians of ${report.rounds} alternating rounds (spread = min-max of the rounds).`,
    '',
    `Machine: ${m.cpus} x ${m.cpuModel}, ${m.memoryGb} GB, ${m.platform}; Node ${m.node}, kafkajs ${m.kafkajs}, @platformatic/kafka ${m.platformaticKafka}, ${m.go ?? 'no Go'}; commit ${m.commit}.`,
    `Load average at start ${(m.loadAverageAtStart as number[]).join(' ')}, at end ${report.loadAverageAtEnd.join(' ')}. ${report.conditions}`,
    '',
    brokerLine(report.broker),
    '',
    `Go kq baseline: ${report.goBaseline}.`,
    '',
    '| scenario | figure | median | spread |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    '| target | measure | value | bound | |',
    '| --- | --- | --- | --- | --- |',
    ...targets,
    '',
  ].join('\n');
}

export function writeReport(report: Report): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  const md = markdown(report);
  writeFileSync(`${dir}latest.md`, md);
  return md;
}
