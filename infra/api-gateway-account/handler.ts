import { APIGatewayClient, BadRequestException, GetAccountCommand, UpdateAccountCommand } from '@aws-sdk/client-api-gateway';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { logger } from '../../shared/observability';
import { answerCloudFormation } from '../custom-resource-response';

/**
 * API Gateway writes access (and execution) logs only once the account has a CloudWatch role in
 * its region-wide settings: without one, a stage with access logging fails to create. This sets
 * the stack's role there only when the account has none, and never replaces or removes a role
 * that someone else set: that setting serves every API in the region.
 */
const apiGateway = new APIGatewayClient({});

export interface RoleSetting {
  /** The role the account uses now. */
  roleArn: string;
  setByThisStack: boolean;
}

export interface RetryOptions {
  attempts: number;
  delayMs: number;
}

/** A new role takes some seconds before API Gateway can assume it; UpdateAccount says so with a BadRequest. */
const ROLE_PROPAGATION_RETRIES: RetryOptions = { attempts: 12, delayMs: 5_000 };

export async function ensureCloudWatchRole(client: APIGatewayClient, roleArn: string, retry = ROLE_PROPAGATION_RETRIES): Promise<RoleSetting> {
  const { cloudwatchRoleArn } = await client.send(new GetAccountCommand({}));
  if (cloudwatchRoleArn) return { roleArn: cloudwatchRoleArn, setByThisStack: false };

  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new UpdateAccountCommand({ patchOperations: [{ op: 'replace', path: '/cloudwatchRoleArn', value: roleArn }] }));
      return { roleArn, setByThisStack: true };
    } catch (error) {
      if (!(error instanceof BadRequestException) || attempt >= retry.attempts) throw error;
      logger.info('the new role is not assumable yet; retrying', { attempt });
      await new Promise((resolve) => setTimeout(resolve, retry.delayMs));
    }
  }
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  await answerCloudFormation(event, 'api-gateway-cloudwatch-role', async () => {
    // On delete the setting stays: other APIs may log through it by now, and the role is retained.
    if (event.RequestType === 'Delete') return { reason: 'account setting left as it is' };
    const setting = await ensureCloudWatchRole(apiGateway, String(event.ResourceProperties.RoleArn));
    logger.info('API Gateway CloudWatch role', { ...setting });
    return {
      reason: setting.setByThisStack ? 'set the account CloudWatch role' : 'the account already has a CloudWatch role; left it as it is',
      data: { RoleArn: setting.roleArn, SetByThisStack: String(setting.setByThisStack) },
    };
  });
}
