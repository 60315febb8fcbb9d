import { NestedStack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Route } from '../shared/routes';

/**
 * The nested stack a route's function lives in, by the first segment of its path: one area of the
 * API per nested stack, so the console shows the sign-in functions apart from the admin ones. A
 * path outside these areas (discovery, the OpenAPI document, a route a test adds) goes to
 * OTHER_ROUTES. A route keeps its area as the table grows, so adding one never moves another.
 */
export const ROUTE_AREAS: Readonly<Record<string, string>> = { auth: 'AuthRoutes', me: 'AccountRoutes', admin: 'AdminRoutes' };
export const OTHER_ROUTES = 'OtherRoutes';
/** The functions that serve no route: the mailer, mail feedback and lifecycle publisher, fed by the table's stream and SES. */
export const WORKERS = 'Workers';

export function routeArea(route: Pick<Route, 'path'>): string {
  const [first = ''] = route.path.split('/').filter(Boolean);
  return ROUTE_AREAS[first] ?? OTHER_ROUTES;
}

/**
 * Where the service's functions go. CloudFormation takes at most 500 resources per stack, and
 * each function brings five (the function, its role, its policy, its log group, its invoke
 * permission): in the construct's own stack they would leave a team almost no room. So each area
 * gets a nested stack of its own, created when its first function is. The API (resources,
 * methods, authorizer, stage), the table, keys, alarms and deploy-time helpers stay in the
 * construct's stack: they are referenced from every area, and a method there costs the stack one
 * resource per route. See docs/deploy.md ("The stack and its nested stacks").
 */
export class FunctionStacks {
  private readonly stacks = new Map<string, NestedStack>();

  /** `scope`: the construct whose functions these are; the nested stacks are its children. */
  constructor(private readonly scope: Construct) {}

  /** The nested stack named `area`, made on first use. */
  of(area: string): NestedStack {
    let stack = this.stacks.get(area);
    if (!stack) {
      stack = new NestedStack(this.scope, area, { description: `serverless-auth ${area}` });
      this.stacks.set(area, stack);
    }
    return stack;
  }
}
