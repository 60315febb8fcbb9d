import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableSchema } from '../../shared/table';
import { realValues, synthesize } from './support/synth';
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
    const [table] = view.ofType('AWS::DynamoDB::Table');

    // Assess
    view.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
    // Not in the definition: CloudFormation could not delete a protected table when rolling back its first create.
    expect(table!.props.DeletionProtectionEnabled).toBeUndefined();
  });

  it('gets deletion protection from a custom resource that runs after everything else, and again when the table changes', () => {
    // Act
    const [protection] = view.ofType('Custom::TableDeletionProtection');
    const resources = view.template.toJSON().Resources as Record<string, { Type: string; DependsOn?: string[] }>;
    const dependsOn = new Set(resources[protection!.id]!.DependsOn ?? []);
    const changedTable = new TemplateView(synthesize({ signingKeyRotationDays: '30' }).template).ofType('Custom::TableDeletionProtection')[0]!;

    // Assess
    expect(view.resolve(protection!.props.ServiceToken)).toBe('TableProtection/Setter/Function.Arn');
    expect(protection!.props.ServiceTimeout).toBe('300');
    expect(view.resolve(protection!.props.TableName)).toBe('Data/Table');
    expect(protection!.props.TableDefinition).toMatch(/^[0-9a-f]{16}$/);
    expect(changedTable.props.TableDefinition).toBe(protection!.props.TableDefinition);
    const [table] = view.ofType('AWS::DynamoDB::Table');
    const [stage] = view.ofType('AWS::ApiGateway::Stage');
    const [keyMaterial] = view.ofType('Custom::SigningKeys');
    const [webAcl] = view.ofType('AWS::WAFv2::WebACL');
    for (const resource of [table!, stage!, keyMaterial!, webAcl!]) expect(dependsOn.has(resource.id), resource.path).toBe(true);
  });

  it('lets that custom resource change only this table and read only this stack', () => {
    // Act
    const setter = view.ofType('AWS::Lambda::Function').find((f) => f.path === 'TableProtection/Setter/Function')!;
    const statements = view.statementsOf(setter).filter((s) => !s.actions.some((a) => a.startsWith('logs:') || a.startsWith('xray:')));

    // Assess
    expect(statements).toEqual([
      { actions: ['dynamodb:DescribeTable', 'dynamodb:UpdateTable'], resources: ['Data/Table.Arn'] },
      { actions: ['cloudformation:DescribeStacks'], resources: ['${AWS::StackId}'] },
    ]);
  });

  it('goes away with a dev stack that opts out with retainData=false', () => {
    // Act
    const { template } = synthesize({ retainData: 'false' });

    // Assess
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::TableDeletionProtection', 0);
  });
});

describe('standby Regions (replicaRegions)', () => {
  it('make the table a global table with a replica per standby Region, still one writer: the stream, the mailer and the lifecycle publisher stay home', () => {
    // Act
    const multi = new TemplateView(synthesize({ replicaRegions: 'eu-central-1,eu-west-1' }).template);
    const [global] = multi.ofType('AWS::DynamoDB::GlobalTable');
    const mappings = multi.ofType('AWS::Lambda::EventSourceMapping');

    // Assess
    multi.template.resourceCountIs('AWS::DynamoDB::Table', 0);
    multi.template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
    expect(global!.props.Replicas.map((r: { Region: unknown }) => multi.resolve(r.Region)).sort()).toEqual(['${AWS::Region}', 'eu-central-1', 'eu-west-1']);
    expect(global!.props).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' }, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } });
    expect(global!.props.GlobalSecondaryIndexes.map((index: { IndexName: string }) => index.IndexName)).toEqual([
      tableSchema.sessionsByUserIndex.indexName,
      tableSchema.usersByEmailIndex.indexName,
    ]);
    for (const replica of global!.props.Replicas) expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    // The mailer's and the lifecycle publisher's: both on the home table's stream.
    expect(mappings.map((mapping) => multi.resolve(mapping.props.EventSourceArn))).toEqual(['Data/Table.StreamArn', 'Data/Table.StreamArn']);
  });

  it('replicate the four key secrets to each standby Region', () => {
    // Act
    const multi = new TemplateView(synthesize({ replicaRegions: 'eu-central-1,eu-west-1' }).template);

    // Assess
    for (const secret of multi.ofType('AWS::SecretsManager::Secret')) {
      expect(secret.props.ReplicaRegions, secret.path).toEqual([{ Region: 'eu-central-1' }, { Region: 'eu-west-1' }]);
    }
    for (const secret of view.ofType('AWS::SecretsManager::Secret')) expect(secret.props.ReplicaRegions).toBeUndefined();
  });

  it('are refused when a Region is not a Region name or is listed twice', () => {
    // Act
    const bad = () => synthesize({ replicaRegions: 'Frankfurt' });
    const twice = () => synthesize({ replicaRegions: 'eu-west-1,eu-west-1' });

    // Assess
    expect(bad).toThrow(/replicaRegions: must be AWS Region names/);
    expect(twice).toThrow(/replicaRegions: lists a Region twice/);
  });
});

describe('the stack', () => {
  it('has termination protection on every stage but dev', () => {
    // Act
    const dev = synthesize();
    const prod = synthesize({ stage: 'prod', ...realValues });

    // Assess
    expect(dev.stack.terminationProtection).toBe(false);
    expect(prod.stack.terminationProtection).toBe(true);
  });

  it('puts the configured permissions boundary on every role when the account requires one', () => {
    // Act
    const bounded = new TemplateView(synthesize({ permissionsBoundary: 'acme-boundary' }).template);
    const roles = bounded.ofType('AWS::IAM::Role');

    // Assess
    expect(roles.length).toBeGreaterThan(5);
    for (const role of roles) expect(bounded.resolve(role.props.PermissionsBoundary), role.path).toBe('arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/acme-boundary');
    for (const role of view.ofType('AWS::IAM::Role')) expect(role.props.PermissionsBoundary).toBeUndefined();
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
    expect(send?.resources).toEqual([
      'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/ServerlessAuth-dev',
      'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/no-reply@example.com',
    ]);
  });

  it('sends through a configuration set named after the stack, with reputation metrics and SES suppression of bounces and complaints', () => {
    // Act
    const [set] = view.ofType('AWS::SES::ConfigurationSet');

    // Assess
    expect(set!.props).toMatchObject({
      Name: 'ServerlessAuth-dev',
      ReputationOptions: { ReputationMetricsEnabled: true },
      SendingOptions: { SendingEnabled: true },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    });
    expect(view.lambda('mailer').props.Environment.Variables.SES_CONFIGURATION_SET).toBe('ServerlessAuth-dev');
  });

  it('hands its hard bounces and complaints, and only its own, to the mail-feedback function', () => {
    // Act
    const [destination] = view.ofType('AWS::SES::ConfigurationSetEventDestination');
    const rule = view.ofType('AWS::Events::Rule').find((r) => r.path === 'Ses/BouncesAndComplaints')!;

    // Assess
    expect(view.resolve(destination!.props.ConfigurationSetName)).toBe('Ses/ConfigurationSet');
    expect(destination!.props.EventDestination.MatchingEventTypes.sort()).toEqual(['bounce', 'complaint']);
    expect(view.resolve(destination!.props.EventDestination.EventBridgeDestination.EventBusArn)).toBe('arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default');
    expect(rule.props.EventPattern).toEqual({
      source: ['aws.ses'],
      'detail-type': ['Email Bounced', 'Email Complaint Received'],
      detail: { mail: { tags: { 'ses:configuration-set': ['ServerlessAuth-dev'] } } },
    });
    expect(view.resolve(rule.props.Targets[0].Arn)).toBe(`${view.lambda('mail-feedback').path}.Arn`);
    expect(rule.props.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 86_400 });
  });

  it('sets a custom MAIL FROM domain on the identity it creates, and outputs its MX and SPF records', () => {
    // Act
    const mailFrom = new TemplateView(
      synthesize({ ...realValues, senderIdentity: 'acme-corp.io', createSenderIdentity: 'true', mailFromDomain: 'mail.acme-corp.io' }).template,
    );

    // Assess
    expect(mailFrom.ofType('AWS::SES::EmailIdentity')[0]!.props.MailFromAttributes).toEqual({ MailFromDomain: 'mail.acme-corp.io', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' });
    expect(mailFrom.output('SenderMailFromMxRecord').value).toBe('mail.acme-corp.io MX 10 feedback-smtp.${AWS::Region}.amazonses.com');
    expect(mailFrom.output('SenderMailFromSpfRecord').value).toBe('mail.acme-corp.io TXT "v=spf1 include:amazonses.com ~all"');
  });
});

describe('signing keys', () => {
  it('keeps four secrets whose values never appear in the template, their generation pinned to a bare placeholder', () => {
    // Act
    const secrets = view.ofType('AWS::SecretsManager::Secret');

    // Assess
    expect(secrets.map((s) => s.path).sort()).toEqual(['Keys/MfaKey', 'Keys/PublicKeys', 'Keys/RefreshTokenKey', 'Keys/SigningKey']);
    for (const secret of secrets) {
      expect(secret.props.SecretString).toBeUndefined();
      // Any change to GenerateSecretString makes CloudFormation write a new placeholder over the key.
      expect(secret.props.GenerateSecretString).toEqual({});
    }
    expect(JSON.stringify(view.template.toJSON())).not.toMatch(/BEGIN (EC )?PRIVATE KEY/);
  });

  it('keeps the refresh and MFA secrets when the stack is deleted or a secret replaced; the signing pair may go', () => {
    // Act
    const resources = view.template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
    const policies = Object.fromEntries(
      view.ofType('AWS::SecretsManager::Secret').map((s) => [s.path, `${resources[s.id]!.DeletionPolicy}/${resources[s.id]!.UpdateReplacePolicy}`]),
    );

    // Assess
    expect(policies).toEqual({
      'Keys/RefreshTokenKey': 'Retain/Retain',
      'Keys/MfaKey': 'Retain/Retain',
      'Keys/SigningKey': 'Delete/Delete',
      'Keys/PublicKeys': 'Delete/Delete',
    });
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

  it('lets the key manager read and write the four key secrets and its own items of the table (lease and key records), nothing else', () => {
    // Act
    const manager = view.ofType('AWS::Lambda::Function').find((f) => f.path === 'Keys/KeyManager/Function')!;
    const statements = view.statementsOf(manager).filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:') || a.startsWith('dynamodb:') || a.startsWith('ses:')));

    // Assess
    expect(statements).toEqual([
      {
        actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: ['Data/Table.Arn'],
        condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['KEYMANAGER#*'] } },
      },
      { actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], resources: ['Keys/MfaKey', 'Keys/PublicKeys', 'Keys/RefreshTokenKey', 'Keys/SigningKey'] },
    ]);
    expect(view.resolve(manager.props.Environment.Variables.TABLE_NAME)).toBe('Data/Table');
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
