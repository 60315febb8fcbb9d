import type { Template } from 'aws-cdk-lib/assertions';

/**
 * Readable views of a synthesized template, so assertions can name things ("Keys/SigningKey",
 * "POST /auth/login") instead of hashed logical ids.
 */
type Resources = Record<string, { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, any> }>;

export interface Statement {
  actions: string[];
  resources: string[];
  condition?: unknown;
}

export class TemplateView {
  private readonly resources: Resources;
  private readonly stackName: string;

  constructor(readonly template: Template) {
    this.resources = template.toJSON().Resources;
    const anyPath = Object.values(this.resources).find((r) => r.Metadata?.['aws:cdk:path'])!.Metadata!['aws:cdk:path'] as string;
    this.stackName = anyPath.split('/')[0]!;
  }

  /**
   * "Keys/SigningKey" for the resource at ServerlessAuth-dev/Default/Keys/SigningKey/Resource
   * (AuthStack holds the service construct under the id Default).
   */
  pathOf(logicalId: string): string {
    const full = (this.resources[logicalId]?.Metadata?.['aws:cdk:path'] as string | undefined) ?? logicalId;
    return full.replace(`${this.stackName}/`, '').replace(/^Default\//, '').replace(/\/Resource$/, '');
  }

  ofType(type: string): Array<{ id: string; path: string; props: Record<string, any> }> {
    return Object.entries(this.resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => ({ id, path: this.pathOf(id), props: r.Properties ?? {} }));
  }

  /** CloudFormation intrinsics rendered as text: {Ref: X} -> "Keys/SigningKey", GetAtt -> "Data/Table.Arn". */
  resolve(value: unknown): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    const v = value as Record<string, any>;
    if (v.Ref) return String(v.Ref).startsWith('AWS::') ? `\${${v.Ref}}` : this.pathOf(v.Ref);
    if (v['Fn::GetAtt']) return `${this.pathOf(v['Fn::GetAtt'][0])}.${v['Fn::GetAtt'][1]}`;
    if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map((part) => this.resolve(part)).join(v['Fn::Join'][0]);
    return JSON.stringify(value);
  }

  /** The Lambda function of functions/<name> (its description is "serverless-auth <name>"). */
  lambda(name: string) {
    const match = this.ofType('AWS::Lambda::Function').find((f) => f.props.Description === `serverless-auth ${name}`);
    if (!match) throw new Error(`no function for ${name}`);
    return match;
  }

  /** Every statement of every policy attached to the role of a Lambda function. */
  statementsOf(fn: { props: Record<string, any> }): Statement[] {
    const roleId = fn.props.Role['Fn::GetAtt'][0] as string;
    return this.ofType('AWS::IAM::Policy')
      .filter((policy) => (policy.props.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId))
      .flatMap((policy) => policy.props.PolicyDocument.Statement as Array<Record<string, any>>)
      .map((s) => ({
        actions: [s.Action].flat().sort(),
        resources: [s.Resource].flat().map((r) => this.resolve(r)).sort(),
        ...(s.Condition ? { condition: s.Condition } : {}),
      }));
  }

  /** API Gateway resources by full path ("/auth/verify"). */
  apiPaths(): Map<string, string> {
    const byId = new Map(this.ofType('AWS::ApiGateway::Resource').map((r) => [r.id, r.props]));
    const fullPath = (id: string): string => {
      const props = byId.get(id)!;
      const parent = props.ParentId.Ref as string | undefined;
      return `${parent ? fullPath(parent) : ''}/${props.PathPart}`;
    };
    return new Map([...byId.keys()].map((id) => [fullPath(id), id]));
  }

  /** The method `verb` on API path `path`. */
  method(verb: string, path: string) {
    const resourceId = this.apiPaths().get(path);
    const match = this.ofType('AWS::ApiGateway::Method').find((m) => m.props.HttpMethod === verb && m.props.ResourceId?.Ref === resourceId);
    if (!match) throw new Error(`no method ${verb} ${path}`);
    return match;
  }

  outputs(): Record<string, { Description?: string; Value: unknown }> {
    return this.template.toJSON().Outputs ?? {};
  }

  /** The output whose logical id starts with `prefix` (CDK appends a hash for nested ids). */
  output(prefix: string) {
    const entry = Object.entries(this.outputs()).find(([id]) => id.startsWith(prefix));
    if (!entry) throw new Error(`no output ${prefix}`);
    return { description: entry[1].Description, value: this.resolve(entry[1].Value) };
  }
}
