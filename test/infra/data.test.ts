import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableSchema } from '../../shared/table';
import { synthesize } from './support/synth';
import { TemplateView } from './support/template';

let view: TemplateView;

beforeAll(() => {
  view = new TemplateView(synthesize().template);
});

describe('table', () => {
  it('is the single table of shared/table.ts: on demand, point-in-time recovery, TTL and the sessions index', () => {
    // Act
    const tables = view.ofType('AWS::DynamoDB::Table');

    // Assess
    expect(tables).toHaveLength(1);
    expect(tables[0]!.props).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: tableSchema.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableSchema.sortKey, KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: tableSchema.timeToLiveAttribute, Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: tableSchema.sessionsByUserIndex.indexName,
          KeySchema: [
            { AttributeName: tableSchema.sessionsByUserIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: tableSchema.sessionsByUserIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['id', 'revokedAt'] },
        },
        {
          // The admin's user list: email order, no password hash or two-factor secret projected.
          IndexName: 'users-by-email',
          KeySchema: [
            { AttributeName: 'gsi2pk', KeyType: 'HASH' },
            { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['id', 'email', 'username', 'createdAt', 'roles', 'disabled'] },
        },
      ],
    });
  });

  it('survives the stack and a replacement by default, but not the rollback of a failed first create', () => {
    // Act
    const template = view.template;

    // Assess
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });

  it('goes away with a dev stack that opts out with retainData=false', () => {
    // Act
    const { template } = synthesize({ retainData: 'false' });

    // Assess
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
  });
});

describe('mail sender', () => {
  it('creates no SES identity by default, so a second stage with the same sender deploys', () => {
    // Act
    const identities = view.ofType('AWS::SES::EmailIdentity');

    // Assess
    expect(identities).toEqual([]);
    expect(view.output('SenderIdentity').value).toBe('no-reply@example.com');
  });

  it('creates the identity on the stage that owns it (createSenderIdentity=true) and keeps it when that stage is destroyed', () => {
    // Act
    const { template } = synthesize({ createSenderIdentity: 'true' });

    // Assess
    template.hasResource('AWS::SES::EmailIdentity', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { EmailIdentity: 'no-reply@example.com' },
    });
  });

  it('for a domain sender, outputs the three DKIM CNAME records to publish', () => {
    // Act
    const domainView = new TemplateView(
      synthesize({ mailFrom: 'Example <no-reply@example.com>', senderIdentity: 'example.com', createSenderIdentity: true }).template,
    );

    // Assess
    expect(domainView.ofType('AWS::SES::EmailIdentity').map((i) => i.props.EmailIdentity)).toEqual(['example.com']);
    const dkim = [1, 2, 3].map((n) => domainView.output(`SenderDkimRecord${n}`).value);
    expect(dkim).toEqual([1, 2, 3].map((n) => `Sender/Identity.DkimDNSTokenName${n} CNAME Sender/Identity.DkimDNSTokenValue${n}`));
  });

  it('uses an existing identity without creating one when createSenderIdentity=false, still scoping SendEmail to it', () => {
    // Act
    const { template } = synthesize({ createSenderIdentity: false });

    // Assess
    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    const send = new TemplateView(template).statementsOf(new TemplateView(template).lambda('mailer')).find((s) => s.actions.includes('ses:SendEmail'));
    expect(send?.resources).toEqual(['arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/no-reply@example.com']);
  });
});

describe('signing keys', () => {
  it('keeps four secrets whose values never appear in the template', () => {
    // Act
    const secrets = view.ofType('AWS::SecretsManager::Secret');

    // Assess
    expect(secrets.map((s) => s.path).sort()).toEqual(['Keys/MfaKey', 'Keys/PublicKeys', 'Keys/RefreshTokenKey', 'Keys/SigningKey']);
    for (const secret of secrets) {
      expect(secret.props.SecretString).toBeUndefined();
      expect(secret.props.GenerateSecretString).toEqual({});
    }
    expect(JSON.stringify(view.template.toJSON())).not.toMatch(/BEGIN (EC )?PRIVATE KEY/);
  });

  it('fills them at deploy through the key manager, before the API stage goes live', () => {
    // Act
    const [keyMaterial] = view.ofType('Custom::SigningKeys');
    const stage = view.template.findResources('AWS::ApiGateway::Stage');

    // Assess
    expect(view.resolve(keyMaterial!.props.ServiceToken)).toBe('Keys/KeyManager/Function.Arn');
    expect(Object.keys(keyMaterial!.props).filter((key) => key !== 'ServiceToken').sort()).toEqual(['mfaKey', 'publicKeys', 'refreshKey', 'signingKey']);
    const dependsOn = Object.values(stage)[0]!.DependsOn as string[];
    expect(dependsOn.map((id) => view.pathOf(id))).toContain('Keys/KeyMaterial/Default');
  });

  it('lets the key manager read and write the three key secrets and nothing else', () => {
    // Act
    const manager = view.ofType('AWS::Lambda::Function').find((f) => f.path === 'Keys/KeyManager/Function')!;
    const statements = view.statementsOf(manager).filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:') || a.startsWith('dynamodb:') || a.startsWith('ses:')));

    // Assess
    expect(statements).toEqual([
      { actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], resources: ['Keys/MfaKey', 'Keys/PublicKeys', 'Keys/RefreshTokenKey', 'Keys/SigningKey'] },
    ]);
  });

  it('runs the key manager every hour to move a rotation along, with the access-token TTL it must wait out', () => {
    // Act
    const [rule] = view.ofType('AWS::Events::Rule');
    const manager = view.ofType('AWS::Lambda::Function').find((f) => f.path === 'Keys/KeyManager/Function')!;

    // Assess
    expect(rule!.props.ScheduleExpression).toBe('rate(1 hour)');
    expect(view.resolve(rule!.props.Targets[0].Arn)).toBe('Keys/KeyManager/Function.Arn');
    expect(JSON.parse(rule!.props.Targets[0].Input)).toEqual({ action: 'maintain' });
    expect(manager.props.Environment.Variables).toMatchObject({ ACCESS_TOKEN_TTL_SECONDS: '900', SIGNING_KEY_ROTATION_DAYS: '90' });
  });
});
