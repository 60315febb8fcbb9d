import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StackTemplate } from './support/nested';
import { synthesize } from './support/synth';
import { TemplateView } from './support/template';

/** The operator's documents state counts of what the stack deploys and pays for: they follow the template. */
const docs = (name: string) => readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', name), 'utf8');
const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six'];

let view: TemplateView;
let stacks: StackTemplate[];

beforeAll(() => {
  const synthesized = synthesize();
  view = new TemplateView(synthesized.template);
  stacks = synthesized.stacks;
});

/** What CloudWatch bills per alarm: each metric it reads (a math expression's inputs, or its one metric). */
function alarmMetrics(): number {
  return view.ofType('AWS::CloudWatch::Alarm').reduce((sum, a) => sum + (a.props.Metrics ? a.props.Metrics.filter((m: any) => m.MetricStat).length : 1), 0);
}

describe('docs/deploy.md and docs/cost.md', () => {
  it('count the secrets the template holds', () => {
    // Act
    const secrets = view.ofType('AWS::SecretsManager::Secret').length;

    // Assess
    expect(docs('deploy.md')).toContain(`${words[secrets]} Secrets Manager secrets`);
    expect(docs('cost.md')).toContain(`Secrets Manager: ${secrets} secrets`);
    expect(docs('cost.md')).toContain(`$${(secrets * 0.4).toFixed(2)}`);
  });

  it('count the alarms and the alarm metrics the template holds', () => {
    // Act
    const alarms = view.ofType('AWS::CloudWatch::Alarm').length;
    const metrics = alarmMetrics();

    // Assess
    expect(docs('deploy.md')).toContain(`${alarms} alarms`);
    expect(docs('cost.md')).toContain(`${alarms} alarms reading ${metrics} alarm metrics`);
    expect(docs('cost.md')).toContain(`$${(metrics * 0.1).toFixed(2)}`);
  });

  it('count the resources of the stack and of each nested stack', () => {
    // Act: the stack by its documented name, a nested stack by its id
    const counts = stacks.map(({ path: stackPath, template, parent }) => ({
      name: parent ? stackPath.split('/').at(-1)! : 'ServerlessAuth-<stage>',
      resources: Object.keys(template.Resources).length,
    }));

    // Assess: one row per stack in the table of deploy.md's section on them, its count in the last column
    const section = docs('deploy.md').split('\n## ').find((part) => part.startsWith('The stack and its nested stacks'))!;
    const rows = section.split('\n').filter((line) => /^\| `[^`]+` \|.*\| \d+ \|$/.test(line));
    expect(rows.map((row) => ({ name: row.split('`')[1], resources: Number(row.split('|').at(-2)!.trim()) }))).toEqual(counts);
  });

  it('count the WAF rules the template holds', () => {
    // Act
    const rules = view.ofType('AWS::WAFv2::WebACL')[0]!.props.Rules.length;

    // Assess
    expect(docs('cost.md')).toContain(`one web ACL and ${rules} rules`);
    expect(docs('cost.md')).toContain(`$${(5 + rules).toFixed(2)}`);
  });
});
