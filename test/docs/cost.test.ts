import { readFileSync } from 'node:fs';
import {
  BEGIN_MARKER,
  COST_DOCS,
  costReport,
  costRows,
  END_MARKER,
  parseMeasuredLine,
  TARGETS,
} from '../../bench/cost.bench';

/** The lines of the cost page's generated block (inside its code fence). */
function generatedBlock(): string[] {
  const page = readFileSync(COST_DOCS, 'utf8');
  const block = page.slice(page.indexOf(BEGIN_MARKER) + BEGIN_MARKER.length, page.indexOf(END_MARKER));
  return block.split('\n').filter((l) => l.trim() !== '' && l.trim() !== '```');
}

describe('the cost page', () => {
  it('holds the cost bench output as the current cost model derives it from the measured figures', () => {
    const [measured, ...rest] = generatedBlock();
    expect(measured).toMatch(/^measured: /);
    expect(rest).toEqual(costReport(parseMeasuredLine(measured as string)));
  });

  it('itemizes every Firehose charge and prints the targets next to the figures', () => {
    const lines = generatedBlock();
    for (const driver of [
      'Firehose ingestion',
      'Firehose dynamic partitioning, per GB',
      'Firehose dynamic partitioning, per S3 object',
      'Firehose dynamic partitioning, JQ hours',
      'Firehose format conversion',
      '**Firehose in total**',
    ]) {
      expect(lines.filter((l) => l.startsWith(`| ${driver} |`))).toHaveLength(1);
    }
    expect(lines.some((l) => l.includes(`≤ $${TARGETS.firehoseMonthly.toLocaleString('en-US')}`))).toBe(true);
    expect(lines.some((l) => l.startsWith("target: aurora-audit's own cost"))).toBe(true);
  });

  it('costs Firehose ingestion per record rounded up to 5 KB: one record per event is 5 KB per event, packed records their size', () => {
    const m = parseMeasuredLine(generatedBlock()[0] as string);
    const ingestion = (aggregated: boolean) =>
      costRows(m, aggregated)
        .find((r) => r.name === 'Firehose ingestion')
        ?.cost(10_000) as number;
    const gbPerMonthAt = (bytesPerEvent: number) => (10_000 * 30.4 * 86_400 * bytesPerEvent) / 1024 ** 3;
    // Today's figure in the issue: $3,632 a month at 10,000 statements/s, one record per event.
    expect(Math.round(ingestion(false))).toBe(Math.round(gbPerMonthAt(5120) * 0.029));
    expect(Math.round(ingestion(false))).toBe(3632);
    expect(ingestion(true)).toBeCloseTo(gbPerMonthAt(m.billedBytesPerEvent.high) * 0.029, 6);
    // Records of hundreds of events waste at most 5 KB each: under 1% above the bytes themselves.
    expect(m.billedBytesPerEvent.high / m.lineBytes).toBeLessThan(1.01);
  });
});
