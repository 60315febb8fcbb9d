import { NestedStack, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

type TemplateJson = { Resources: Record<string, Record<string, any>>; Outputs?: Record<string, { Value: unknown }>; Parameters?: Record<string, unknown> } & Record<string, any>;

/** One stack's own template: the construct stack's, or one of its nested stacks'. */
export interface StackTemplate {
  /** The construct path of the stack ("ServerlessAuth-dev", "ServerlessAuth-dev/Default/AuthRoutes"). */
  path: string;
  template: TemplateJson;
  /** For a nested stack: its AWS::CloudFormation::Stack resource's logical id in its parent, and the parent's path. */
  parent?: { path: string; logicalId: string };
}

/**
 * The template of `stack` and of every stack nested in it, parents first. Template.fromStack
 * checks each for dependency cycles, so a cycle between a nested stack and its parent (their
 * AWS::CloudFormation::Stack resource in the parent's template) fails here.
 */
export function templatesOf(stack: Stack): StackTemplate[] {
  const nested = stack.node.findAll().filter((c): c is NestedStack => NestedStack.isNestedStack(c));
  return [
    { path: stack.node.path, template: Template.fromStack(stack).toJSON() as TemplateJson },
    ...nested.map((child) => {
      const parent = child.nestedStackParent!;
      return {
        path: child.node.path,
        template: Template.fromStack(child).toJSON() as TemplateJson,
        parent: { path: parent.node.path, logicalId: parent.resolve(child.nestedStackResource!.logicalId) as string },
      };
    }),
  ];
}

function replaceDeep(value: unknown, replace: (node: Record<string, unknown>) => unknown | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => replaceDeep(item, replace));
  if (value === null || typeof value !== 'object') return value;
  const node = value as Record<string, unknown>;
  const replacement = replace(node);
  if (replacement !== undefined) return replaceDeep(replacement, replace);
  return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, replaceDeep(item, replace)]));
}

/**
 * One template holding the resources of every stack, as if nothing were nested: a nested stack's
 * parameter is replaced by what its parent passes in (the parent's resource), and a parent's
 * `Fn::GetAtt [<nested stack>, Outputs.X]` by the output's value (the nested stack's resource).
 * So `Data/Table.Arn` in a nested function's policy reads as it did in one stack, and the tests
 * assert the same properties wherever a resource landed. Resource paths keep the nested stack
 * ("AuthRoutes/Login/Function"). The AWS::CloudFormation::Stack resources stay, as in the parent.
 * Outputs and parameters are the construct stack's (a nested stack's are plumbing).
 */
export function flatten(templates: readonly StackTemplate[]): TemplateJson {
  const [root, ...nested] = templates;
  const resolvedByPath = new Map<string, TemplateJson>([[root!.path, root!.template]]);
  const outputs = new Map<string, unknown>();
  const resources: TemplateJson['Resources'] = { ...root!.template.Resources };

  for (const child of nested) {
    const parentTemplate = resolvedByPath.get(child.parent!.path)!;
    const passed = (parentTemplate.Resources[child.parent!.logicalId]!.Properties?.Parameters ?? {}) as Record<string, unknown>;
    const own = new Set(Object.keys(child.template.Parameters ?? {}));
    const resolved = replaceDeep(child.template, (node) => {
      const ref = node.Ref;
      return typeof ref === 'string' && own.has(ref) && ref in passed ? passed[ref] : undefined;
    }) as TemplateJson;
    resolvedByPath.set(child.path, resolved);
    for (const [name, output] of Object.entries(resolved.Outputs ?? {})) outputs.set(`${child.parent!.logicalId}.Outputs.${name}`, output.Value);
    for (const [id, resource] of Object.entries(resolved.Resources)) {
      if (id in resources) throw new Error(`logical id ${id} of ${child.path} is also in another stack: the flat view would hide one`);
      resources[id] = resource;
    }
  }

  const flat = replaceDeep({ ...root!.template, Resources: resources }, (node) => {
    const getAtt = node['Fn::GetAtt'];
    return Array.isArray(getAtt) ? outputs.get(`${getAtt[0]}.${getAtt[1]}`) : undefined;
  }) as TemplateJson;
  return flat;
}

/** The flat view of `stack` and its nested stacks, as a Template for the assertions API. */
export function flatTemplate(templates: readonly StackTemplate[]): Template {
  return Template.fromJSON(flatten(templates));
}
