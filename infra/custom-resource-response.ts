import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { logger } from '../shared/observability';

export interface CustomResourceOutcome {
  /** Shown in the CloudFormation events. */
  reason: string;
  /** Readable with Fn::GetAtt on the custom resource. */
  data?: Record<string, string>;
}

/**
 * The custom resource protocol for a function that is its own service token: run the work and
 * always answer on the pre-signed URL, success or failure, or CloudFormation waits an hour.
 */
export async function answerCloudFormation(
  event: CloudFormationCustomResourceEvent,
  physicalResourceId: string,
  work: () => Promise<CustomResourceOutcome>,
): Promise<void> {
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let outcome: CustomResourceOutcome;
  try {
    outcome = await work();
  } catch (error) {
    logger.error('custom resource failed', { error: error as Error, logicalResourceId: event.LogicalResourceId });
    status = 'FAILED';
    outcome = { reason: `${event.LogicalResourceId} failed: ${(error as Error).name}: ${(error as Error).message}`.slice(0, 1000) };
  }
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    signal: AbortSignal.timeout(10_000),
    // The pre-signed URL expects no content type.
    headers: { 'content-type': '' },
    body: JSON.stringify({
      Status: status,
      Reason: outcome.reason,
      PhysicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : physicalResourceId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      ...(outcome.data ? { Data: outcome.data } : {}),
    }),
  });
  if (!response.ok) throw new Error(`CloudFormation response was refused: HTTP ${response.status}`);
}
