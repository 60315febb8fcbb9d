import { NestedStack, Stack, Validations } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { nagFindings as findings } from './support/nag';
import { realValues, synthesize } from './support/synth';

/** Every acknowledgement recorded in the construct tree: rule id and reason. */
function acknowledgements(root: IConstruct): Array<{ rule: string; reason: string; path: string }> {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        // CDK files ids without a plugin prefix under "Annotation::"; cdk-nag matches them by rule id.
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ rule: id.replace(/^Annotation::/, ''), reason, path: construct.node.path })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the default stack', () => {
    // Act
    const { app } = synthesize();

    // Assess
    expect(findings(app)).toEqual([]);
  });

  it('finds nothing unacknowledged in a dev stack without WAF, with a domain sender and a custom domain', () => {
    // Act
    const { app } = synthesize({
      stage: 'sandbox',
      waf: false,
      retainData: false,
      ...realValues,
      senderIdentity: 'acme-corp.io',
      createSenderIdentity: true,
      mailFromDomain: 'mail.acme-corp.io',
      replicaRegions: 'eu-central-1',
      permissionsBoundary: 'acme-boundary',
      alarmEmail: 'ops@acme-corp.io',
      apiDomainName: 'api.example.com',
      apiCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-123456789abc',
    });

    // Assess
    expect(findings(app)).toEqual([]);
  });

  it('acknowledges only named AwsSolutions rules, each with a reason of its own', () => {
    // Act
    const { app } = synthesize({ waf: false });

    // Assess
    const acknowledged = acknowledgements(app);
    expect(new Set(acknowledged.map((a) => a.rule))).toEqual(
      new Set([
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-SMG4',
        'AwsSolutions-APIG2',
        'AwsSolutions-APIG3',
        'AwsSolutions-APIG4',
        'AwsSolutions-APIG6',
        'AwsSolutions-COG4',
        'AwsSolutions-SQS3',
      ]),
    );
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(60);
  });

  it('still reports a finding that nobody acknowledged', () => {
    // Prepare
    const { app, stack } = synthesize();
    const table = stack.node.findAll().find((c): c is CfnTable => c instanceof CfnTable)!;

    // Act
    table.pointInTimeRecoverySpecification = { pointInTimeRecoveryEnabled: false };

    // Assess
    expect(findings(app)).toEqual([expect.stringMatching(/^AwsSolutions-DDB3 \(\w+\) at .*Data\/Table\/Resource$/)]);
  });

  it('still reports a finding that nobody acknowledged inside a nested stack', () => {
    // Prepare
    const { app, stack } = synthesize();
    const nestedFunctions = stack.node.findAll().filter((c): c is CfnFunction => c instanceof CfnFunction && NestedStack.isNestedStack(Stack.of(c)));
    const login = nestedFunctions.find((fn) => fn.node.path.endsWith('/Login/Function/Resource'))!;

    // Act
    login.runtime = 'nodejs18.x';

    // Assess
    expect(nestedFunctions.length).toBeGreaterThan(0);
    expect(findings(app)).toEqual([expect.stringMatching(/^AwsSolutions-L1 \(\w+\) at ServerlessAuth-dev\/Default\/AuthRoutes\/Login\/Function\/Resource$/)]);
  });
});
